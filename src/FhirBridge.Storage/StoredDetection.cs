namespace FhirBridge.Storage;

/// <summary>A patient's detection as stored by their last recompute (see <see cref="RecomputeCommit.Detection"/>).</summary>
/// <param name="Patient">The patient id.</param>
/// <param name="Json">The detection, as the service wrote it.</param>
public sealed record StoredDetection(string Patient, string Json);
