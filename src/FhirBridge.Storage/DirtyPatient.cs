namespace FhirBridge.Storage;

/// <summary>A patient whose data changed since their last recompute. <see cref="Generation"/> guards against clearing a newer change.</summary>
public sealed record DirtyPatient(string Patient, long Generation);
