using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using FhirBridge.Detection;
using FhirBridge.Ingest;
using NodaTime;

namespace FhirBridge.Reporting;

/// <summary>
/// The report of <c>fhirbridge detect --report</c>: every subject, every exclusion, every quarantined input.
/// Its shape is a contract (README, "The report"): lists sorted by reference, references as <c>Type/id</c>.
/// </summary>
public sealed class DetectionReport
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly List<SubjectEntry> _subjects = [];
    private readonly List<ExcludedEntry> _excluded = [];
    private readonly List<QuarantinedEntry> _quarantined = [];

    /// <summary>Starts a report for a study as of a time.</summary>
    public DetectionReport(string study, OffsetDateTime asOf)
    {
        Study = study;
        AsOf = asOf;
    }

    /// <summary>The study id.</summary>
    public string Study { get; }

    /// <summary>The as-of time.</summary>
    public OffsetDateTime AsOf { get; }

    /// <summary>The subjects so far.</summary>
    public IReadOnlyList<SubjectEntry> Subjects => _subjects;

    /// <summary>The exclusions so far.</summary>
    public IReadOnlyList<ExcludedEntry> Excluded => _excluded;

    /// <summary>The quarantined inputs so far.</summary>
    public IReadOnlyList<QuarantinedEntry> Quarantined => _quarantined;

    /// <summary>Adds one patient's detection.</summary>
    public void Add(PatientDetection detection)
    {
        var (subjects, excluded) = EntriesOf(detection);
        Add(subjects, excluded);
    }

    /// <summary>Adds one patient's lines, as <see cref="EntriesOf"/> made them (for results stored by an earlier run).</summary>
    public void Add(IEnumerable<SubjectEntry> subjects, IEnumerable<ExcludedEntry> excluded)
    {
        _subjects.AddRange(subjects);
        _excluded.AddRange(excluded);
    }

    /// <summary>The report lines of one patient's detection: their subjects, then their exclusions in the order the report adds them.</summary>
    public static (IReadOnlyList<SubjectEntry> Subjects, IReadOnlyList<ExcludedEntry> Excluded) EntriesOf(PatientDetection detection)
    {
        ArgumentNullException.ThrowIfNull(detection);
        var subjects = new List<SubjectEntry>();
        var excluded = new List<ExcludedEntry>();
        foreach (var s in detection.Subjects)
        {
            subjects.Add(new SubjectEntry(
                s.Patient.ToString(),
                s.Index.Key.ToString(),
                s.IndexStart,
                s.Cohort,
                s.Outcome,
                [.. s.Returns.Select(r => new ReturnEntry(r.Procedure.ToString(), r.DaysAfterIndex))]));
            excluded.AddRange(s.Candidates.Where(c => !c.Counted).Select(c => new ExcludedEntry(c.Procedure.ToString(), s.Index.Key.ToString(), c.ExclusionReason!)));
        }

        excluded.AddRange(detection.Refused.Select(r => new ExcludedEntry(r.Procedure.ToString(), null, r.Reason)));
        return (subjects, excluded);
    }

    /// <summary>Adds a quarantined input.</summary>
    public void Add(IngestResult quarantined) =>
        _quarantined.Add(new QuarantinedEntry(quarantined.Origin, quarantined.QuarantineReason ?? "quarantined"));

    /// <summary>Writes the report as JSON, lists sorted by reference (ordinal).</summary>
    public void WriteTo(Stream stream)
    {
        var body = new Body(
            Study,
            AsOf.ToString("uuuu-MM-dd'T'HH:mm:sso<+HH:mm>", CultureInfo.InvariantCulture),
            [.. _subjects.OrderBy(s => s.Patient, StringComparer.Ordinal).ThenBy(s => s.Index, StringComparer.Ordinal)],
            [.. _excluded.OrderBy(e => e.Procedure, StringComparer.Ordinal).ThenBy(e => e.Index ?? string.Empty, StringComparer.Ordinal)],
            [.. _quarantined.OrderBy(q => q.Source, StringComparer.Ordinal)]);
        JsonSerializer.Serialize(stream, body, Json);
    }

    /// <summary>One subject line of the report.</summary>
    public sealed record SubjectEntry(string Patient, string Index, string IndexStart, string Cohort, string Outcome, IReadOnlyList<ReturnEntry> Returns);

    /// <summary>One counted return.</summary>
    public sealed record ReturnEntry(string Procedure, int DaysAfterIndex);

    /// <summary>One exclusion: a candidate return with its index, or a refused index operation (index null).</summary>
    public sealed record ExcludedEntry(string Procedure, string? Index, string Reason);

    /// <summary>One quarantined input.</summary>
    public sealed record QuarantinedEntry(string Source, string Reason);

    private sealed record Body(
        string Study,
        string AsOf,
        IReadOnlyList<SubjectEntry> Subjects,
        IReadOnlyList<ExcludedEntry> Excluded,
        IReadOnlyList<QuarantinedEntry> Quarantined);
}
