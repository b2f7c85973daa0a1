namespace FhirBridge.Storage;

/// <summary>What replaying one dead letter did: queued a linked copy, or nothing, with the reason.</summary>
/// <param name="Id">The outbox item asked for.</param>
/// <param name="QueuedId">The new pending item (its <see cref="OutboxItem.ReplayOf"/> is <paramref name="Id"/>), or null when nothing was queued.</param>
/// <param name="Source">The item's source, or null when it does not exist.</param>
/// <param name="SubjectKey">The item's subject, or null when it does not exist.</param>
/// <param name="Refusal">Why nothing was queued (no such item, not a dead letter, replayed already, superseded), or null.</param>
public sealed record OutboxReplay(long Id, long? QueuedId, string? Source, string? SubjectKey, string? Refusal);
