namespace FhirBridge.Timeline;

/// <summary>
/// Everything the rules read about one patient: the latest version of each of their resources, plus the shared
/// Locations and Organizations those resources point to. Withdrawn (entered-in-error) versions are still here;
/// the rule treats them as absent, so that it alone decides what counts.
/// </summary>
public sealed record PatientTimeline
{
    /// <summary>The patient's identity at the source.</summary>
    public required ResourceKey Patient { get; init; }

    /// <summary>The Patient resource, or null when the source did not send it.</summary>
    public PatientRecord? PatientResource { get; init; }

    /// <summary>The patient's Procedures.</summary>
    public IReadOnlyList<ProcedureRecord> Procedures { get; init; } = [];

    /// <summary>The patient's Encounters by key.</summary>
    public IReadOnlyDictionary<ResourceKey, EncounterRecord> Encounters { get; init; } = new Dictionary<ResourceKey, EncounterRecord>();

    /// <summary>The patient's Conditions by key.</summary>
    public IReadOnlyDictionary<ResourceKey, ConditionRecord> Conditions { get; init; } = new Dictionary<ResourceKey, ConditionRecord>();

    /// <summary>The patient's ServiceRequests by key.</summary>
    public IReadOnlyDictionary<ResourceKey, ServiceRequestRecord> ServiceRequests { get; init; } = new Dictionary<ResourceKey, ServiceRequestRecord>();

    /// <summary>The patient's Observations (read for the registry's risk factors, never by the rule).</summary>
    public IReadOnlyList<ObservationRecord> Observations { get; init; } = [];

    /// <summary>All Locations of the source by key (shared between patients).</summary>
    public IReadOnlyDictionary<ResourceKey, LocationRecord> Locations { get; init; } = new Dictionary<ResourceKey, LocationRecord>();

    /// <summary>All Organizations of the source by key (shared between patients).</summary>
    public IReadOnlyDictionary<ResourceKey, OrganizationRecord> Organizations { get; init; } = new Dictionary<ResourceKey, OrganizationRecord>();
}
