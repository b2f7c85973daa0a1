using FhirBridge.Timeline;

namespace FhirBridge.Detection;

/// <summary>The verdict on one candidate return of an index operation.</summary>
/// <param name="Candidate">The later operation.</param>
/// <param name="DaysAfterIndex">Local date of its start minus local date of the index start.</param>
/// <param name="ExclusionReason">Null when it counted as an unplanned return; else the first failing check's reason code.</param>
public sealed record CandidateVerdict(Operation Candidate, int DaysAfterIndex, string? ExclusionReason)
{
    /// <summary>True when it counted as an unplanned return to theatre.</summary>
    public bool Counted => ExclusionReason is null;

    /// <summary>The candidate's principal Procedure.</summary>
    public ResourceKey Procedure => Candidate.Key;
}
