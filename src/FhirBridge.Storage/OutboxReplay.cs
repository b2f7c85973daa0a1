namespace FhirBridge.Storage;

/// <summary>
/// What replaying one dead letter did: its patient marked for recompute, or nothing, with the reason. The change set
/// the recompute makes is queued by the next run, as any other.
/// </summary>
/// <param name="Id">The outbox item asked for.</param>
/// <param name="Source">The item's source, or null when it does not exist.</param>
/// <param name="SubjectKey">The item's subject, or null when it does not exist.</param>
/// <param name="Refusal">Why nothing was done (no such item, not a dead letter, replayed already), or null.</param>
public sealed record OutboxReplay(long Id, string? Source, string? SubjectKey, string? Refusal)
{
    /// <summary>True when the dead letter's patient was marked for recompute.</summary>
    public bool Replayed => Refusal is null;
}
