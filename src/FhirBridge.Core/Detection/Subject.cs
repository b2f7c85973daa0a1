using FhirBridge.Timeline;

namespace FhirBridge.Detection;

/// <summary>One registry subject: an eligible index operation, its arm, its candidate returns and its outcome.</summary>
public sealed record Subject
{
    /// <summary>The patient.</summary>
    public required ResourceKey Patient { get; init; }

    /// <summary>The index operation.</summary>
    public required Operation Index { get; init; }

    /// <summary>The calendar local dates were taken in for this subject.</summary>
    public required LocalCalendar Calendar { get; init; }

    /// <summary>The arm: <c>degenerative</c>, <c>deformity</c>, <c>tumor</c>, <c>fracture</c> or <c>unclassified</c>.</summary>
    public required string Cohort { get; init; }

    /// <summary>The diagnosis mapping that gave the arm, when one did.</summary>
    public CategoryMatch? CohortEvidence { get; init; }

    /// <summary>Every candidate return with its verdict, in start order.</summary>
    public required IReadOnlyList<CandidateVerdict> Candidates { get; init; }

    /// <summary>The outcome as of the time asked: see <see cref="Detection.Outcome"/>.</summary>
    public required string Outcome { get; init; }

    /// <summary>The candidates that counted.</summary>
    public IEnumerable<CandidateVerdict> Returns => Candidates.Where(c => c.Counted);

    /// <summary>The index start as ISO 8601 in the subject's calendar.</summary>
    public string IndexStart => Index.StartAsWritten.Format(Calendar.Zone);
}
