namespace FhirBridge.Reconcile;

/// <summary>
/// One registry record as last handed to the registry for a patient (the registry projection): the reconcile stage
/// diffs the newly computed records against these.
/// </summary>
/// <param name="RecordKey">The record's identity in the registry (<c>Type|identifier</c>).</param>
/// <param name="SubjectKey">The ResearchSubject identifier it belongs to.</param>
/// <param name="Hash">A hash of its content, to detect changes.</param>
/// <param name="Json">The record as sent (FHIR JSON).</param>
/// <param name="OpenUntil">For a subject whose follow-up is open: the instant its window closes, so it is recomputed then.</param>
public sealed record ProjectedRecord(string RecordKey, string SubjectKey, string Hash, string Json, DateTimeOffset? OpenUntil)
{
    /// <summary>
    /// The hospital resource whose patient makes the record (<see cref="Registry.RegistryRecord.Origin"/>), so the store
    /// finds who holds the record now through that resource; null on rows stored before origins were kept.
    /// </summary>
    public string? Origin { get; init; }
}
