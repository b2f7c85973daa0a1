namespace FhirBridge.Timeline;

/// <summary>What the rules read of a Condition: its code.</summary>
public sealed record ConditionRecord(SourceRef Ref, ResourceKey? Patient, CodedConcept Code, string? VerificationStatus) : ITimelineRecord
{
    /// <summary>True when this version withdraws the resource (<c>verificationStatus = entered-in-error</c>).</summary>
    public bool IsEnteredInError => VerificationStatus == "entered-in-error";
}
