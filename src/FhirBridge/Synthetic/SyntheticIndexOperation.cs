namespace FhirBridge.Cli.Synthetic;

/// <summary>An index operation the generator intended, with the later operations it placed around it.</summary>
public sealed class SyntheticIndexOperation
{
    internal SyntheticIndexOperation(
        string patientId,
        string indexProcedureId,
        string encounterId,
        string start,
        string cohort,
        IReadOnlyList<string> countedReturnProcedureIds,
        IReadOnlyList<SyntheticExcludedCandidate> excludedCandidates,
        IReadOnlyList<string> outsideWindowProcedureIds,
        IReadOnlyList<string> withdrawnProcedureIds)
    {
        PatientId = patientId;
        IndexProcedureId = indexProcedureId;
        EncounterId = encounterId;
        Start = start;
        Cohort = cohort;
        CountedReturnProcedureIds = countedReturnProcedureIds;
        ExcludedCandidates = excludedCandidates;
        OutsideWindowProcedureIds = outsideWindowProcedureIds;
        WithdrawnProcedureIds = withdrawnProcedureIds;
    }

    /// <summary>The Patient id, e.g. <c>p000001</c>.</summary>
    public string PatientId { get; }

    /// <summary>The principal Procedure id of the index operation.</summary>
    public string IndexProcedureId { get; }

    /// <summary>The index Encounter id.</summary>
    public string EncounterId { get; }

    /// <summary>The index start as written (ISO 8601, +08:00).</summary>
    public string Start { get; }

    /// <summary><c>degenerative</c>, <c>deformity</c>, <c>tumor</c>, <c>fracture</c> or <c>unclassified</c>.</summary>
    public string Cohort { get; }

    /// <summary>Principal Procedure ids of the operations intended as counted unplanned returns, in time order.</summary>
    public IReadOnlyList<string> CountedReturnProcedureIds { get; }

    /// <summary>Candidates within the window that must be excluded, with the reason, in time order.</summary>
    public IReadOnlyList<SyntheticExcludedCandidate> ExcludedCandidates { get; }

    /// <summary>Theatre operations on day 31-40: not candidates at all (they use non-spine codes, so not index operations either).</summary>
    public IReadOnlyList<string> OutsideWindowProcedureIds { get; }

    /// <summary>Candidates whose latest version is <c>entered-in-error</c>: they must be treated as absent.</summary>
    public IReadOnlyList<string> WithdrawnProcedureIds { get; }

    /// <summary>The same operation with every id passed through <paramref name="name"/>.</summary>
    internal SyntheticIndexOperation Renamed(Func<string, string> name) => new(
        name(PatientId),
        name(IndexProcedureId),
        name(EncounterId),
        Start,
        Cohort,
        [.. CountedReturnProcedureIds.Select(name)],
        [.. ExcludedCandidates.Select(c => c with { ProcedureId = name(c.ProcedureId) })],
        [.. OutsideWindowProcedureIds.Select(name)],
        [.. WithdrawnProcedureIds.Select(name)]);
}
