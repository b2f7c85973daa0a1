using FhirBridge.Reconcile;
using FhirBridge.Storage;

namespace FhirBridge.Tests.Storage;

/// <summary>
/// The outbox's history: times, dead letters with the registry's message and the projection they put in doubt, and
/// replays that recompute the patient and keep the original.
/// </summary>
public abstract class OutboxTests : IAsyncLifetime
{
    private const string Source = "hospital-a";
    private static readonly DateTimeOffset Start = new(2026, 2, 1, 8, 0, 0, TimeSpan.Zero);
    private readonly StepClock _clock = new(Start);
    private StoreDatabase _database = null!;
    private IStateStore _store = null!;

    /// <summary>The clock the store stamps items with.</summary>
    protected TimeProvider Clock => _clock;

    /// <summary>The database the tests run on, made by <see cref="CreateDatabase"/>.</summary>
    protected StoreDatabase Database => _database;

    /// <summary>The empty database the tests run on.</summary>
    protected abstract StoreDatabase CreateDatabase();

    public async Task InitializeAsync()
    {
        _database = CreateDatabase();
        await _database.CreateAsync();
        _store = _database.Open(_clock);
        await _store.MigrateAsync(CancellationToken.None);
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    /// <summary>Queues one change set per subject key, for patient p1, and returns their ids.</summary>
    private async Task<long[]> QueueAsync(params string[] subjects)
    {
        var newest = await _store.GetOutboxAsync(null, 1, default);
        var before = newest.Count == 0 ? 0 : newest[0].Id;
        await _store.CommitRecomputeAsync(Source, "p1", null, [], [.. subjects.Select(s => new QueuedChangeSet(s, $"{{\"subject\":\"{s}\"}}"))], [], default);
        return [.. (await _store.GetOutboxAsync(null, 1000, default)).Where(i => i.Id > before).Select(i => i.Id).Order()];
    }

    private async Task<OutboxItem> ItemAsync(long id) => (await _store.GetOutboxItemAsync(id, default))!;

    [StoreFact]
    public async Task Commit_KeepsEachChangeSetsVerdict()
    {
        await _store.CommitRecomputeAsync(Source, "p1", null, [], [new("s1", "{}", "check-1"), new("s2", "{}"), new("s3", "{}", "check-1")], [], default);

        var pending = await _store.GetPendingOutboxAsync(10, default);
        Assert.Equal([("s1", "check-1"), ("s2", null), ("s3", "check-1")], pending.Select(i => (i.SubjectKey, i.CheckedBy)));
        Assert.Equal("check-1", (await ItemAsync(pending[0].Id)).CheckedBy);
        Assert.Equal(["check-1", null], (await _store.GetOutboxAsync(OutboxState.Pending, 2, default)).Select(i => i.CheckedBy)); // newest first
    }

    [StoreFact]
    public async Task Commit_StampsTheQueueTime_AndListingIsNewestFirstByState()
    {
        var first = await QueueAsync("s1", "s2");
        _clock.Advance(TimeSpan.FromMinutes(5));
        var second = await QueueAsync("s3");

        await _store.MarkOutboxSentAsync([first[0]], default);

        Assert.Equal([second[0], first[1], first[0]], (await _store.GetOutboxAsync(null, 10, default)).Select(i => i.Id));
        Assert.Equal([second[0], first[1]], (await _store.GetOutboxAsync(OutboxState.Pending, 10, default)).Select(i => i.Id));
        Assert.Equal([second[0]], (await _store.GetOutboxAsync(null, 1, default)).Select(i => i.Id));
        Assert.Equal(Start, (await ItemAsync(first[1])).CreatedAt);
        Assert.Equal(Start.AddMinutes(5), (await ItemAsync(second[0])).CreatedAt);
        var sent = await ItemAsync(first[0]);
        Assert.Equal((OutboxState.Sent, 1, Start.AddMinutes(5), Start.AddMinutes(5)), (sent.State, sent.Attempts, sent.SentAt, sent.LastAttemptAt));
        Assert.Null(await _store.GetOutboxItemAsync(999, default));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.GetOutboxAsync("failed", 10, default));
    }

    [StoreFact]
    public async Task MarkFailed_Dead_KeepsTheRegistrysMessageAndTheTime()
    {
        var id = (await QueueAsync("s1"))[0];
        _clock.Advance(TimeSpan.FromMinutes(1));
        await _store.MarkOutboxFailedAsync(id, "503 Service Unavailable", dead: false, default);
        _clock.Advance(TimeSpan.FromMinutes(1));
        await _store.MarkOutboxFailedAsync(id, "422 Unprocessable Entity: error required: Procedure.code is required [Procedure.code]", dead: true, default);

        var dead = Assert.Single(await _store.GetOutboxAsync(OutboxState.Dead, 10, default));
        Assert.Equal(id, dead.Id);
        Assert.Equal(2, dead.Attempts);
        Assert.Equal("422 Unprocessable Entity: error required: Procedure.code is required [Procedure.code]", dead.LastError);
        Assert.Equal((Start.AddMinutes(2), Start.AddMinutes(2)), (dead.DeadAt, dead.LastAttemptAt));
        Assert.Null(dead.SentAt);
    }

    private static ProjectedRecord Row(string recordKey, string subject, string hash) => new(recordKey, subject, hash, $"{{\"key\":\"{recordKey}\"}}", null);

    private async Task<IReadOnlyList<ProjectedRecord>> ProjectionAsync() => [.. (await _store.GetProjectionAsync(Source, "p1", default)).OrderBy(r => r.RecordKey, StringComparer.Ordinal)];

    [StoreFact]
    public async Task MarkFailed_Dead_DoubtsTheSubjectsRowsAndPutsBackWhatItRetracted_UnlessThePatientHoldsItAgain()
    {
        // s1 held a subject, an operation and two return events; s2 a subject.
        IReadOnlyList<ProjectedRecord> first = [Row("AdverseEvent|e", "s1", "he"), Row("AdverseEvent|f", "s1", "hf"), Row("Procedure|x", "s1", "hx"), Row("ResearchSubject|s1", "s1", "h1"), Row("ResearchSubject|s2", "s2", "h2")];
        await _store.CommitRecomputeAsync(Source, "p1", null, first, [new("s1", "{}"), new("s2", "{}")], [], default);

        // Both returns are withdrawn: the change set retracts their rows.
        IReadOnlyList<ProjectedRecord> second = [Row("Procedure|x", "s1", "hx2"), Row("ResearchSubject|s1", "s1", "h1"), Row("ResearchSubject|s2", "s2", "h2")];
        await _store.CommitRecomputeAsync(Source, "p1", null, second, [new("s1", "{\"retract\":1}") { Retracted = [first[0], first[1]] }], [], default);
        var retraction = (await _store.GetPendingOutboxAsync(10, default))[^1].Id;

        // Before the registry's answer, f is back (a new version of that return), with new content.
        IReadOnlyList<ProjectedRecord> third = [Row("AdverseEvent|f", "s1", "hf3"), .. second];
        await _store.CommitRecomputeAsync(Source, "p1", null, third, [], [], default);

        // A transient failure changes nothing.
        await _store.MarkOutboxFailedAsync(retraction, "503", dead: false, default);
        Assert.Equal(third.OrderBy(r => r.RecordKey, StringComparer.Ordinal), await ProjectionAsync());

        await _store.MarkOutboxFailedAsync(retraction, "412 Precondition Failed", dead: true, default);

        // e is back as it was (the registry still holds it); f keeps the patient's current row; s1's rows are in
        // doubt (no hash), s2's are not; and nobody is marked dirty: a dead letter is not retried every run.
        Assert.Equal(
            [Row("AdverseEvent|e", "s1", "he"), Row("AdverseEvent|f", "s1", ""), Row("Procedure|x", "s1", ""), Row("ResearchSubject|s1", "s1", ""), Row("ResearchSubject|s2", "s2", "h2")],
            await ProjectionAsync());
        Assert.Empty(await _store.GetDirtyPatientsAsync(Source, 10, default));
    }

    [StoreFact]
    public async Task MarkFailed_Dead_ARecomputeReadBeforeItIsDropped_SoTheCorrectionStays()
    {
        IReadOnlyList<ProjectedRecord> first = [Row("AdverseEvent|e", "s1", "he"), Row("ResearchSubject|s1", "s1", "h1")];
        await _store.CommitRecomputeAsync(Source, "p1", null, first, [new("s1", "{}")], [], default);
        await _store.CommitRecomputeAsync(Source, "p1", null, [first[1]], [new("s1", "{\"retract\":1}") { Retracted = [first[0]] }], [], default);
        var retraction = (await _store.GetPendingOutboxAsync(10, default))[^1].Id;

        // A recompute reads the patient, then the registry refuses the retraction, then the recompute commits.
        var read = await _store.GetProjectionAsync(Source, "p1", default);
        await _store.MarkOutboxFailedAsync(retraction, "412", dead: true, default);
        var dropped = await _store.CommitRecomputesAsync(Source, [new RecomputeCommit("p1", null, [.. read], [], [], null) { ProjectionVersion = read.Version }], default);

        // Written, it would have put the rows back as they were read: e gone, s1's hash back. It is dropped, and the
        // patient is dirty, so the next recompute sends s1 again with e's retraction.
        Assert.Single(dropped);
        Assert.Equal([Row("AdverseEvent|e", "s1", "he"), Row("ResearchSubject|s1", "s1", "")], await ProjectionAsync());
        Assert.Equal("p1", Assert.Single(await _store.GetDirtyPatientsAsync(Source, 10, default)).Patient);
    }

    [StoreFact]
    public async Task Replay_DeadLetter_MarksItsPatientForRecomputeQueuesNothingAndKeepsTheOriginalDead()
    {
        var id = (await QueueAsync("s1"))[0];
        await _store.MarkOutboxFailedAsync(id, "412 Precondition Failed: error conflict: 2 matches", dead: true, default);
        _clock.Advance(TimeSpan.FromHours(1));

        Assert.Equal(1, await _store.CountDeadLettersToReplayAsync(default));
        Assert.Empty(await _store.GetDirtyPatientsAsync(Source, 10, default));

        var replay = await _store.ReplayOutboxAsync(id, default);

        Assert.Equal((id, Source, "s1", (string?)null, true), (replay.Id, replay.Source, replay.SubjectKey, replay.Refusal, replay.Replayed));
        Assert.Equal(0, await _store.CountDeadLettersToReplayAsync(default)); // still dead, but replayed: nothing for an admin
        Assert.Equal("p1", Assert.Single(await _store.GetDirtyPatientsAsync(Source, 10, default)).Patient);
        Assert.Empty(await _store.GetPendingOutboxAsync(10, default)); // the recompute queues what is sent, not the replay
        var original = Assert.Single(await _store.GetOutboxAsync(null, 10, default));
        Assert.Equal((OutboxState.Dead, Start.AddHours(1), (long?)null, "412 Precondition Failed: error conflict: 2 matches"), (original.State, original.ReplayedAt, original.ReplayedBy, original.LastError));
    }

    [StoreFact]
    public async Task Replay_DeadLetterFromBeforeDeadLettersDoubtedTheProjection_DoubtsTheSubjectsRows()
    {
        // The projection as it is for a dead letter whose death did not touch it (made before this behaviour): the
        // replay takes the hashes of the dead letter's subject away, so the recompute sends those records again.
        await _store.CommitRecomputeAsync(Source, "p1", null, [Row("ResearchSubject|s1", "s1", "h1"), Row("ResearchSubject|s2", "s2", "h2")], [new("s1", "{}")], [], default);
        var id = Assert.Single(await _store.GetPendingOutboxAsync(10, default)).Id;
        await _store.MarkOutboxFailedAsync(id, "422", dead: true, default);
        await _store.CommitRecomputeAsync(Source, "p1", null, [Row("ResearchSubject|s1", "s1", "h1"), Row("ResearchSubject|s2", "s2", "h2")], [], [], default);

        await _store.ReplayOutboxAsync(id, default);

        Assert.Equal([Row("ResearchSubject|s1", "s1", ""), Row("ResearchSubject|s2", "s2", "h2")], await ProjectionAsync());
    }

    [StoreFact]
    public async Task Replay_UnknownPendingOrReplayedAlready_DoesNothingAndSaysWhy()
    {
        var ids = await QueueAsync("s1", "s2");
        await _store.MarkOutboxFailedAsync(ids[0], "400", dead: true, default);
        Assert.True((await _store.ReplayOutboxAsync(ids[0], default)).Replayed);

        var again = await _store.ReplayOutboxAsync(ids[0], default);
        var pending = await _store.ReplayOutboxAsync(ids[1], default);
        var unknown = await _store.ReplayOutboxAsync(4711, default);

        Assert.Equal($"outbox item {ids[0]} was replayed already", again.Refusal);
        Assert.Equal($"outbox item {ids[1]} is pending, not a dead letter", pending.Refusal);
        Assert.Equal(("outbox item 4711 does not exist", (string?)null), (unknown.Refusal, unknown.Source));
        Assert.All([again, pending, unknown], r => Assert.False(r.Replayed));
        Assert.Equal(2, (await _store.GetOutboxAsync(null, 10, default)).Count);
    }

    [StoreFact]
    public async Task ReplayDead_All_ReplaysEveryUnreplayedDeadLetterOnce_EvenOnesALaterChangeSetFollowed()
    {
        // A later change set of the same subject no longer stops a replay: the replay sends the subject as it is now,
        // which cannot roll the registry back.
        var ids = await QueueAsync("s1", "s2", "s3");
        var s1Later = (await QueueAsync("s1"))[0];
        foreach (var id in ids.Append(s1Later))
        {
            await _store.MarkOutboxFailedAsync(id, "422", dead: true, default);
        }

        Assert.True((await _store.ReplayOutboxAsync(ids[2], default)).Replayed);

        var replays = await _store.ReplayDeadOutboxAsync(default);

        Assert.Equal([ids[0], ids[1], s1Later], replays.Select(r => r.Id));
        Assert.All(replays, r => Assert.True(r.Replayed));
        Assert.Empty(await _store.GetPendingOutboxAsync(10, default));
        Assert.Equal(0, await _store.CountDeadLettersToReplayAsync(default));
        Assert.Empty(await _store.ReplayDeadOutboxAsync(default));
    }

    /// <summary>
    /// Rows as the schema before dead letters doubted the projection left them (SQLite 6, PostgreSQL 4): a dead letter
    /// (id 1) of subject s1 of patient p, one replayed as a copy (id 2, its copy id 3), and p's projection.
    /// </summary>
    protected const string DeadLettersBeforeDoubt = """
        INSERT INTO outbox (id, source, patient, subject_key, bundle, state, attempts, dead_at) VALUES (1, 'h', 'p', 's1', '{}', 'dead', 1, '2026-01-01T00:00:00.0000000Z');
        INSERT INTO outbox (id, source, patient, subject_key, bundle, state, attempts, dead_at) VALUES (2, 'h', 'p', 's2', '{}', 'dead', 1, '2026-01-01T00:00:00.0000000Z');
        INSERT INTO outbox (id, source, patient, subject_key, bundle, state, replay_of) VALUES (3, 'h', 'p', 's2', '{}', 'sent', 2);
        UPDATE outbox SET replayed_by = 3 WHERE id = 2;
        INSERT INTO projection (source, patient, record_key, subject_key, hash, json) VALUES ('h', 'p', 'ResearchSubject|s1', 's1', 'h1', '{}');
        INSERT INTO projection (source, patient, record_key, subject_key, hash, json) VALUES ('h', 'p', 'ResearchSubject|s2', 's2', 'h2', '{}');
        """;

    /// <summary>What a store migrated from <see cref="DeadLettersBeforeDoubt"/> holds and does.</summary>
    protected static async Task AssertDeadLettersBeforeDoubtAsync(IStateStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        Assert.Equal(1, await store.CountDeadLettersToReplayAsync(default));
        Assert.Equal("outbox item 2 was replayed already as item 3", (await store.ReplayOutboxAsync(2, default)).Refusal);

        Assert.True((await store.ReplayOutboxAsync(1, default)).Replayed);

        Assert.Equal("p", Assert.Single(await store.GetDirtyPatientsAsync("h", 10, default)).Patient);
        Assert.Equal([("ResearchSubject|s1", ""), ("ResearchSubject|s2", "h2")], (await store.GetProjectionAsync("h", "p", default)).Select(r => (r.RecordKey, r.Hash)));
        Assert.Equal(0, await store.CountDeadLettersToReplayAsync(default));

        // A change set queued now keeps what it retracts; one from before has none to put back when it dies.
        await store.MarkOutboxFailedAsync(3, "422", dead: true, default);
        Assert.Equal(2, (await store.GetProjectionAsync("h", "p", default)).Count);
    }

    /// <summary>A clock the test moves by hand.</summary>
    private sealed class StepClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
