using FhirBridge.Storage;

namespace FhirBridge.Tests.Storage;

/// <summary>The outbox's history: times, dead letters with the registry's message, and replays that keep the original.</summary>
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
    public async Task Commit_KeepsEachChangeSetsVerdict_AndReplaysDropIt()
    {
        await _store.CommitRecomputeAsync(Source, "p1", null, [], [new("s1", "{}", "check-1"), new("s2", "{}"), new("s3", "{}", "check-1")], [], default);

        var pending = await _store.GetPendingOutboxAsync(10, default);
        Assert.Equal([("s1", "check-1"), ("s2", null), ("s3", "check-1")], pending.Select(i => (i.SubjectKey, i.CheckedBy)));
        Assert.Equal("check-1", (await ItemAsync(pending[0].Id)).CheckedBy);
        Assert.Equal(["check-1", null], (await _store.GetOutboxAsync(OutboxState.Pending, 2, default)).Select(i => i.CheckedBy)); // newest first

        // A replayed dead letter is checked again at the push: the copy carries no verdict, the original keeps its own.
        await _store.MarkOutboxFailedAsync(pending[0].Id, "422 refused", dead: true, default);
        await _store.MarkOutboxFailedAsync(pending[2].Id, "422 refused", dead: true, default);
        var one = await _store.ReplayOutboxAsync(pending[0].Id, default);
        var rest = Assert.Single(await _store.ReplayDeadOutboxAsync(default));

        Assert.Equal(pending[2].Id, rest.Id);
        Assert.Null((await ItemAsync(one.QueuedId!.Value)).CheckedBy);
        Assert.Null((await ItemAsync(rest.QueuedId!.Value)).CheckedBy);
        Assert.Equal("check-1", (await ItemAsync(pending[0].Id)).CheckedBy);
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

    [StoreFact]
    public async Task Replay_DeadLetter_QueuesALinkedCopyAndKeepsTheOriginalDead()
    {
        var id = (await QueueAsync("s1"))[0];
        await _store.MarkOutboxFailedAsync(id, "412 Precondition Failed: error conflict: 2 matches", dead: true, default);
        _clock.Advance(TimeSpan.FromHours(1));

        Assert.Equal(1, await _store.CountDeadLettersToReplayAsync(default));

        var replay = await _store.ReplayOutboxAsync(id, default);

        Assert.Equal(0, await _store.CountDeadLettersToReplayAsync(default)); // still dead, but replayed: nothing for an admin
        Assert.Equal((id, Source, "s1", (string?)null), (replay.Id, replay.Source, replay.SubjectKey, replay.Refusal));
        var copy = await ItemAsync(replay.QueuedId!.Value);
        var original = await ItemAsync(id);
        Assert.Equal((OutboxState.Pending, 0, (string?)null, (long?)id), (copy.State, copy.Attempts, copy.LastError, copy.ReplayOf));
        Assert.Equal((original.Source, original.Patient, original.SubjectKey, original.Bundle), (copy.Source, copy.Patient, copy.SubjectKey, copy.Bundle));
        Assert.Equal(Start.AddHours(1), copy.CreatedAt);
        Assert.Equal((OutboxState.Dead, (long?)copy.Id, "412 Precondition Failed: error conflict: 2 matches"), (original.State, original.ReplayedBy, original.LastError));
        Assert.Equal(copy.Id, Assert.Single(await _store.GetPendingOutboxAsync(10, default)).Id);
    }

    [StoreFact]
    public async Task Replay_UnknownPendingOrReplayedAlready_QueuesNothingAndSaysWhy()
    {
        var ids = await QueueAsync("s1", "s2");
        await _store.MarkOutboxFailedAsync(ids[0], "400", dead: true, default);
        var copy = (await _store.ReplayOutboxAsync(ids[0], default)).QueuedId;

        var again = await _store.ReplayOutboxAsync(ids[0], default);
        var pending = await _store.ReplayOutboxAsync(ids[1], default);
        var unknown = await _store.ReplayOutboxAsync(4711, default);

        Assert.Equal($"outbox item {ids[0]} was replayed already as item {copy}", again.Refusal);
        Assert.Equal($"outbox item {ids[1]} is pending, not a dead letter", pending.Refusal);
        Assert.Equal(("outbox item 4711 does not exist", (string?)null), (unknown.Refusal, unknown.Source));
        Assert.All([again, pending, unknown], r => Assert.Null(r.QueuedId));
        Assert.Equal(3, (await _store.GetOutboxAsync(null, 10, default)).Count);
    }

    [StoreFact]
    public async Task Replay_SupersededByALaterChangeSetForTheSubject_QueuesNothing()
    {
        var old = (await QueueAsync("s1"))[0];
        await _store.MarkOutboxFailedAsync(old, "422", dead: true, default);
        var later = (await QueueAsync("s1"))[0];
        await _store.MarkOutboxSentAsync([later], default);

        var replay = await _store.ReplayOutboxAsync(old, default);

        Assert.Null(replay.QueuedId);
        Assert.Equal($"outbox item {old} is superseded by item {later} (sent), a later change set for the same subject; replaying it would roll the registry back", replay.Refusal);
        Assert.Null((await ItemAsync(old)).ReplayedBy);
    }

    [StoreFact]
    public async Task ReplayDead_All_QueuesEveryUnreplayedDeadLetterOnceButNotSupersededOnes()
    {
        var ids = await QueueAsync("s1", "s2", "s3");
        var s1Later = (await QueueAsync("s1"))[0];
        foreach (var id in ids.Append(s1Later))
        {
            await _store.MarkOutboxFailedAsync(id, "422", dead: true, default);
        }

        var replayedAlready = (await _store.ReplayOutboxAsync(ids[2], default)).QueuedId;

        var replays = await _store.ReplayDeadOutboxAsync(default);

        Assert.Equal([ids[0], ids[1], s1Later], replays.Select(r => r.Id));
        Assert.Contains("superseded by item " + s1Later, replays[0].Refusal, StringComparison.Ordinal);
        Assert.Equal([null, "s2", "s1"], replays.Select(r => r.QueuedId is null ? null : r.SubjectKey));
        var pending = await _store.GetPendingOutboxAsync(10, default);
        Assert.Equal([replayedAlready, replays[1].QueuedId, replays[2].QueuedId], pending.Select(p => (long?)p.Id));

        // Only the superseded one is left unreplayed, and it stays so.
        var second = Assert.Single(await _store.ReplayDeadOutboxAsync(default));
        Assert.Equal((ids[0], (long?)null), (second.Id, second.QueuedId));
    }

    /// <summary>A clock the test moves by hand.</summary>
    private sealed class StepClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
