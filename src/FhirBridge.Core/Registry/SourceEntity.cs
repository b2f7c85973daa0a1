namespace FhirBridge.Registry;

/// <summary>
/// A hospital resource a registry record was made from, as the registry may see it (a Provenance entity): its type,
/// a keyed pseudonym of source name, type and id, and its version. The hospital can trace it back with the key; the
/// registry learns nothing from it.
/// </summary>
public sealed record SourceEntity(string Type, string Pseudonym, string? VersionId);
