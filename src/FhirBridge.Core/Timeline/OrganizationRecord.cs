namespace FhirBridge.Timeline;

/// <summary>What the rules read of an Organization: its <c>type</c> codings.</summary>
public sealed record OrganizationRecord(SourceRef Ref, IReadOnlyList<CodedConcept> Types) : ITimelineRecord;
