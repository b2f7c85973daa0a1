namespace FhirBridge.Storage;

/// <summary>One change set waiting for (or refused by, or accepted by) the registry.</summary>
/// <param name="Id">Its id in the outbox.</param>
/// <param name="Source">The source it came from.</param>
/// <param name="Patient">The source patient id (never sent; kept for replay and diagnosis inside the hospital).</param>
/// <param name="SubjectKey">The ResearchSubject identifier the change set is about.</param>
/// <param name="Bundle">The transaction Bundle (FHIR JSON).</param>
/// <param name="Attempts">How many times it was sent.</param>
/// <param name="State"><see cref="OutboxState.Pending"/>, <see cref="OutboxState.Sent"/> or <see cref="OutboxState.Dead"/>.</param>
/// <param name="LastError">The last failure, as the registry or the network reported it.</param>
public sealed record OutboxItem(long Id, string Source, string Patient, string SubjectKey, string Bundle, int Attempts, string State, string? LastError)
{
    /// <summary>When it was queued (null for items queued before the outbox kept times).</summary>
    public DateTimeOffset? CreatedAt { get; init; }

    /// <summary>When it was last sent, whatever the answer.</summary>
    public DateTimeOffset? LastAttemptAt { get; init; }

    /// <summary>When the registry accepted it.</summary>
    public DateTimeOffset? SentAt { get; init; }

    /// <summary>When the registry refused it for good (it became a dead letter).</summary>
    public DateTimeOffset? DeadAt { get; init; }

    /// <summary>The dead letter this item is a copy of (replays made before they recomputed the patient), or null.</summary>
    public long? ReplayOf { get; init; }

    /// <summary>
    /// The item that replays this dead letter, for a dead letter replayed as a copy of its Bundle (before replays
    /// recomputed the patient instead); null otherwise.
    /// </summary>
    public long? ReplayedBy { get; init; }

    /// <summary>When an admin replayed this dead letter: its patient was marked for recompute then (null: not replayed that way).</summary>
    public DateTimeOffset? ReplayedAt { get; init; }

    /// <summary>
    /// The fingerprint of the profile check that found this change set conforming when it was made (null: not checked
    /// then, found wanting, queued before the outbox kept verdicts, or a replay). The push skips its own check only when
    /// this is the fingerprint of the check it runs.
    /// </summary>
    public string? CheckedBy { get; init; }
}
