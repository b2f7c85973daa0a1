namespace FhirBridge.Storage;

/// <summary>One version of a source resource as stored: its identity, version, owning patient and raw FHIR JSON.</summary>
/// <param name="Type">The resource type.</param>
/// <param name="Id">The id at the source.</param>
/// <param name="VersionId"><c>meta.versionId</c>, when sent.</param>
/// <param name="LastUpdated"><c>meta.lastUpdated</c>, when sent.</param>
/// <param name="Patient">The patient id it belongs to; null for shared resources (Location, Organization).</param>
/// <param name="Json">The resource as received (one line of JSON).</param>
public sealed record StoredResource(string Type, string Id, string? VersionId, DateTimeOffset? LastUpdated, string? Patient, string Json);
