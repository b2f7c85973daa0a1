namespace FhirBridge.Timeline;

/// <summary>What the rules read of an Encounter.</summary>
public sealed record EncounterRecord : ITimelineRecord
{
    /// <summary>The version this record was read from.</summary>
    public required SourceRef Ref { get; init; }

    /// <summary>The patient in <c>subject</c>.</summary>
    public required ResourceKey? Patient { get; init; }

    /// <summary><c>status</c>.</summary>
    public required string Status { get; init; }

    /// <summary><c>location</c> entries with their periods.</summary>
    public IReadOnlyList<EncounterLocation> Locations { get; init; } = [];

    /// <summary><c>serviceType</c>.</summary>
    public CodedConcept ServiceType { get; init; } = CodedConcept.None;

    /// <summary><c>serviceProvider</c>.</summary>
    public ResourceKey? ServiceProvider { get; init; }

    /// <summary><c>diagnosis</c> Conditions with their rank, in listed order.</summary>
    public IReadOnlyList<EncounterDiagnosis> Diagnoses { get; init; } = [];

    /// <summary>True when this version withdraws the resource.</summary>
    public bool IsEnteredInError => Status == "entered-in-error";
}

/// <summary>One <c>Encounter.location</c>: where the patient was, and when.</summary>
public sealed record EncounterLocation(ResourceKey Location, ClinicalTime? Start, ClinicalTime? End);

/// <summary>One <c>Encounter.diagnosis</c>.</summary>
public sealed record EncounterDiagnosis(ResourceKey Condition, int? Rank);
