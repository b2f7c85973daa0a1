namespace FhirBridge.Timeline;

/// <summary>What the rules and the registry read of a Procedure (no notes, no free text).</summary>
public sealed record ProcedureRecord : ITimelineRecord
{
    /// <summary>The version this record was read from.</summary>
    public required SourceRef Ref { get; init; }

    /// <summary>The patient in <c>subject</c>.</summary>
    public required ResourceKey? Patient { get; init; }

    /// <summary><c>status</c> (FHIR EventStatus code).</summary>
    public required string Status { get; init; }

    /// <summary><c>code</c>.</summary>
    public required CodedConcept Code { get; init; }

    /// <summary><c>category</c> (e.g. SNOMED CT 387713003 Surgical procedure).</summary>
    public CodedConcept Category { get; init; } = CodedConcept.None;

    /// <summary><c>performedDateTime</c> or <c>performedPeriod.start</c>.</summary>
    public ClinicalTime? Start { get; init; }

    /// <summary><c>performedPeriod.end</c>.</summary>
    public ClinicalTime? End { get; init; }

    /// <summary><c>partOf</c> Procedures.</summary>
    public IReadOnlyList<ResourceKey> PartOf { get; init; } = [];

    /// <summary><c>encounter</c>.</summary>
    public ResourceKey? Encounter { get; init; }

    /// <summary><c>location</c>.</summary>
    public ResourceKey? Location { get; init; }

    /// <summary><c>performer.onBehalfOf</c> Organizations, in performer order.</summary>
    public IReadOnlyList<ResourceKey> PerformerOrganizations { get; init; } = [];

    /// <summary><c>basedOn</c> (ServiceRequest or CarePlan).</summary>
    public IReadOnlyList<ResourceKey> BasedOn { get; init; } = [];

    /// <summary><c>reasonCode</c>, in listed order.</summary>
    public IReadOnlyList<CodedConcept> ReasonCodes { get; init; } = [];

    /// <summary><c>reasonReference</c> (Conditions; other types are kept and ignored by the rule), in listed order.</summary>
    public IReadOnlyList<ResourceKey> ReasonReferences { get; init; } = [];

    /// <summary>True when this version withdraws the resource (<c>status = entered-in-error</c>).</summary>
    public bool IsEnteredInError => Status == "entered-in-error";
}
