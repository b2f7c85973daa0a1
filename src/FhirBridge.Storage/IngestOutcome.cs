namespace FhirBridge.Storage;

/// <summary>What a batch changed: resources stored as new or newer versions, those already held, quarantined inputs, patients marked dirty.</summary>
public sealed record IngestOutcome(int Stored, int Unchanged, int Quarantined, int PatientsMarkedDirty);
