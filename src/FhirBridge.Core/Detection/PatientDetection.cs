using FhirBridge.MappingLog;
using NodaTime;

namespace FhirBridge.Detection;

/// <summary>What the rule found for one patient: the subjects, the refused index operations, and every decision.</summary>
public sealed record PatientDetection(IReadOnlyList<Subject> Subjects, IReadOnlyList<RefusedIndex> Refused, IReadOnlyList<MappingLogEntry> Log)
{
    /// <summary>
    /// The earliest start of a Procedure left out because it starts after the as-of time (spec, data handling:
    /// "As-of"; <see cref="Clause.AsOf"/>), or null when none was. From that time the Procedure exists, so judging the
    /// patient again can give another result without any new data: the service judges them again once it has passed.
    /// </summary>
    public Instant? JudgeAgainAt { get; init; }
}
