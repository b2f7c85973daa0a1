namespace FhirBridge.Timeline;

/// <summary>What the rules read of a Location: its <c>type</c> codings.</summary>
public sealed record LocationRecord(SourceRef Ref, IReadOnlyList<CodedConcept> Types) : ITimelineRecord;
