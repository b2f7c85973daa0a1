using FhirBridge.Reconcile;

namespace FhirBridge.Storage;

/// <summary>A change set as a recompute hands it to the outbox.</summary>
/// <param name="SubjectKey">The ResearchSubject identifier the change set is about.</param>
/// <param name="Bundle">The transaction Bundle (FHIR JSON).</param>
/// <param name="CheckedBy">
/// The fingerprint of the profile check that found it conforming when it was made (<see cref="OutboxItem.CheckedBy"/>),
/// or null when it was not checked then or not found conforming: the push checks it.
/// </param>
public sealed record QueuedChangeSet(string SubjectKey, string Bundle, string? CheckedBy = null)
{
    /// <summary>
    /// The projection rows the change set retracts, kept with it in the outbox: if the registry refuses it for good,
    /// they go back into the projection (<see cref="IStateStore.MarkOutboxFailedAsync"/>).
    /// </summary>
    public IReadOnlyList<ProjectedRecord> Retracted { get; init; } = [];
}
