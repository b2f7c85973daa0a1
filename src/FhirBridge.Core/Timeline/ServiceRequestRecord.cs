namespace FhirBridge.Timeline;

/// <summary>What the rules read of a ServiceRequest: status, intent and when it was authored.</summary>
public sealed record ServiceRequestRecord(SourceRef Ref, ResourceKey? Patient, string Status, string Intent, ClinicalTime? AuthoredOn) : ITimelineRecord
{
    /// <summary>True when this version withdraws the resource.</summary>
    public bool IsEnteredInError => Status == "entered-in-error";
}
