namespace FhirBridge.Timeline;

/// <summary>What the rules read of a Patient: birth date and gender. Names, addresses, telecom and identifiers are never read.</summary>
public sealed record PatientRecord(SourceRef Ref, ClinicalTime? BirthDate, string? Gender) : ITimelineRecord;
