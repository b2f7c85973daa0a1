using Hl7.Fhir.Model;

namespace FhirBridge.Registry;

/// <summary>
/// One resource the registry holds, keyed by its business identifier. Its <see cref="FullUrl"/> is derived from the
/// key, so records can point to each other (ResearchSubject to Patient) across any number of transactions.
/// </summary>
/// <param name="Key">The identity in the registry: <c>Type|system|value</c>, also the conditional-update query.</param>
/// <param name="SubjectKey">The ResearchSubject identifier value the record belongs to (the subject's own for shared ones: its first).</param>
/// <param name="Resource">The resource.</param>
/// <param name="OpenUntil">For a ResearchSubject whose follow-up is open: the instant its window closes.</param>
public sealed record RegistryRecord(RegistryKey Key, string SubjectKey, Resource Resource, DateTimeOffset? OpenUntil = null)
{
    /// <summary>The <c>urn:uuid</c> every transaction uses for this record.</summary>
    public string FullUrl => Key.FullUrl;

    /// <summary>The hospital resources it was made from (Provenance entities).</summary>
    public IReadOnlyList<SourceEntity> Sources { get; init; } = [];

    /// <summary>
    /// The hospital resource whose patient makes this record, <c>Type/id</c>: the index operation's principal
    /// Procedure for every record of a subject (their identifiers derive from it), the Patient for the Patient record.
    /// Whoever holds that resource now is the one patient who may hold the record (docs/registry.md, "A resource moved
    /// to another patient"). Hospital state only: it is never sent.
    /// </summary>
    public string? Origin { get; init; }
}
