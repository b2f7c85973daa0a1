using FhirBridge.Timeline;
using NodaTime;

namespace FhirBridge.Detection;

/// <summary>
/// One operation: the Procedures of one patient done in one go (spec, "Operations"). Its start is its earliest start,
/// its end the latest recorded end (or its start), and its principal Procedure the earliest, ties broken by id.
/// </summary>
public sealed record Operation
{
    /// <summary>The principal Procedure, what the report names the operation by: the earliest, ties by id, never an add-on code.</summary>
    public required ProcedureRecord Principal { get; init; }

    /// <summary>All its Procedures, principal first, then the others by start and id, add-on codes last.</summary>
    public required IReadOnlyList<ProcedureRecord> Procedures { get; init; }

    /// <summary>The earliest start.</summary>
    public required Instant Start { get; init; }

    /// <summary>The latest recorded end, or <see cref="Start"/> when none is recorded.</summary>
    public required Instant End { get; init; }

    /// <summary>The principal Procedure's key.</summary>
    public ResourceKey Key => Principal.Ref.Key;

    /// <summary>The earliest start as the source wrote it (its offset decides the local dates when no zone is configured).</summary>
    public required ClinicalTime StartAsWritten { get; init; }

    /// <summary>True when one of its Procedures' codes maps to <paramref name="category"/>.</summary>
    public bool HasCategory(string category) => Procedures.Any(p => p.Code.Has(category));
}
