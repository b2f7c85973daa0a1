using FhirBridge.Timeline;

namespace FhirBridge.Detection;

/// <summary>A spine operation refused as an index operation, with the first failing reason: not-in-theatre, other-department or age-out-of-range.</summary>
public sealed record RefusedIndex(Operation Operation, string Reason)
{
    /// <summary>Its principal Procedure.</summary>
    public ResourceKey Procedure => Operation.Key;
}
