using Hl7.Fhir.Serialization;
using FhirBridge.Cli.Push;
using FhirBridge.Fhir.Push;
using FhirBridge.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace FhirBridge.Tests.Push;

/// <summary>
/// The outbox: a change set leaves only when accepted; a permanent failure is dead-lettered with its message; a transient
/// one is retried within the push (backoff with jitter, Retry-After, bounded), then stays pending and stops the push.
/// </summary>
public sealed class RegistryPushTests : OutboxTestBase
{
    private static readonly PushFailure Unavailable = new("503 Service Unavailable", Permanent: false);
    private readonly InstantClock _clock = new();

    private Task QueueAsync(params string[] subjects) =>
        Store.CommitRecomputeAsync("h", "p1", null, [], [.. subjects.Select(s => new QueuedChangeSet(s, $"{{\"subject\":\"{s}\"}}"))], [], default);

    private RegistryPush Push(IRegistrySink sink, RegistryPushRetry retry) => new(Store, sink, NullLogger<RegistryPush>.Instance, retry, _clock);

    private static RegistryPushRetry Retry(int attempts = 4, int seed = 7) => new() { MaxAttempts = attempts, BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(30), Seed = seed };

    [Fact]
    public async Task PushPending_MixedAnswers_SentLeaveDeadAreKeptWithMessageTransientStay()
    {
        await QueueAsync("s1", "s2", "s3");
        var sink = new ScriptedSink
        {
            ["s2"] = [new PushFailure("422 Unprocessable Entity: Procedure.code is required", Permanent: true)],
            ["s3"] = [Unavailable],
        };
        using var push = Push(sink, RegistryPushRetry.None);

        var (sent, dead, pending) = await push.PushPendingAsync(default);

        Assert.Equal((1, 1, 1), (sent, dead, pending));
        var left = Assert.Single(await Store.GetPendingOutboxAsync(10, default));
        Assert.Equal(("s3", "503 Service Unavailable"), (left.SubjectKey, left.LastError));
        var counts = await Store.GetOutboxCountsAsync(default);
        Assert.Equal((1, 1), (counts["sent"], counts["dead"]));

        // Once the registry is back, the pending one goes; nothing already sent is sent again.
        Assert.Equal((1, 0, 0), await push.PushPendingAsync(default));
        Assert.Equal(["s1", "s2", "s3", "s3"], sink.Sent);
    }

    [Fact]
    public async Task PushPending_AnotherInstanceIsPushing_WaitsForItsLockThenSendsInOrder()
    {
        await QueueAsync("s1", "s2");
        var sink = new ScriptedSink();
        using var push = new RegistryPush(Store, sink, NullLogger<RegistryPush>.Instance, RegistryPushRetry.None, TimeProvider.System);
        var elsewhere = await Store.TryAcquireLockAsync(RegistryPush.PushLock, default);
        Assert.NotNull(elsewhere);

        var pushing = push.PushPendingAsync(default);
        await Task.Delay(TimeSpan.FromMilliseconds(700));

        Assert.False(pushing.IsCompleted);
        Assert.Empty(sink.Sent);
        await elsewhere.DisposeAsync();
        Assert.Equal((2, 0, 0), await pushing.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(["s1", "s2"], sink.Sent);
    }

    [Fact]
    public async Task PushPending_ResourceFailsItsProfile_NotSentDeadLetteredWithEveryViolation()
    {
        // A registry Patient that carries a name and a full birth date: two things the profile forbids.
        var patient = new Hl7.Fhir.Model.Patient
        {
            Meta = new Hl7.Fhir.Model.Meta { Profile = [FhirBridge.Registry.RegistryModel.PatientProfile] },
            Identifier = [new Hl7.Fhir.Model.Identifier(FhirBridge.Registry.RegistryModel.PatientSystem, new string('a', 64))],
            Name = [new Hl7.Fhir.Model.HumanName { Family = "Zhang" }],
            BirthDate = "1970-05-01",
        };
        var bundle = new Hl7.Fhir.Model.Bundle { Type = Hl7.Fhir.Model.Bundle.BundleType.Transaction };
        bundle.Entry.Add(new Hl7.Fhir.Model.Bundle.EntryComponent { Resource = patient, Request = new() { Method = Hl7.Fhir.Model.Bundle.HTTPVerb.PUT, Url = "Patient?identifier=x|y" } });
        await Store.CommitRecomputeAsync("h", "p1", null, [], [new("s1", new FhirJsonSerializer().SerializeToString(bundle))], [], default);
        var sink = new ScriptedSink();
        var profiles = new FhirBridge.Conformance.ProfileValidator(FhirBridge.Conformance.ProfileSet.Load(Path.Combine(Cli.Fhirbridge.RepositoryRoot, "profiles")));
        using var push = new RegistryPush(Store, sink, NullLogger<RegistryPush>.Instance, RegistryPushRetry.None, _clock, new ChangeSetValidation(profiles));

        Assert.Equal((0, 1, 0), await push.PushPendingAsync(default));

        Assert.Empty(sink.Sent);
        var dead = Assert.Single(await Store.GetOutboxAsync(OutboxState.Dead, 10, default));
        Assert.Contains("Patient.name [max]", dead.LastError, StringComparison.Ordinal);
        Assert.Contains("[fb-pat-1]", dead.LastError, StringComparison.Ordinal);
        Assert.DoesNotContain("Zhang", dead.LastError, StringComparison.Ordinal);
        Assert.DoesNotContain("1970-05-01", dead.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PushPending_TransientTwiceThenAccepted_RetriesWithBackoffWithinThePush()
    {
        await QueueAsync("s1");
        var sink = new ScriptedSink { ["s1"] = [Unavailable, Unavailable, null] };
        using var push = Push(sink, Retry());

        Assert.Equal((1, 0, 0), await push.PushPendingAsync(default));

        Assert.Equal(["s1", "s1", "s1"], sink.Sent);
        Assert.Equal(2, _clock.Waits.Count);
        Assert.InRange(_clock.Waits[0], TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(1));
        Assert.InRange(_clock.Waits[1], TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        var item = Assert.Single(await Store.GetOutboxAsync(OutboxState.Sent, 10, default));
        Assert.Equal((3, (string?)null), (item.Attempts, item.LastError));
    }

    [Fact]
    public async Task PushPending_SameSeed_SameWaits()
    {
        async Task<List<TimeSpan>> WaitsAsync(string subject)
        {
            await QueueAsync(subject);
            var clock = new InstantClock();
            using var push = new RegistryPush(Store, new ScriptedSink { [subject] = [Unavailable, Unavailable, Unavailable, null] }, NullLogger<RegistryPush>.Instance, Retry(seed: 42), clock);
            await push.PushPendingAsync(default);
            return clock.Waits;
        }

        var first = await WaitsAsync("s1");
        var second = await WaitsAsync("s2");

        Assert.Equal(3, first.Count);
        Assert.Equal(first, second);
    }

    [Fact]
    public async Task PushPending_RetryAfter_WaitsAtLeastThatLong()
    {
        await QueueAsync("s1");
        var sink = new ScriptedSink { ["s1"] = [Unavailable with { RetryAfter = TimeSpan.FromSeconds(5) }, null] };
        using var push = Push(sink, Retry());

        Assert.Equal((1, 0, 0), await push.PushPendingAsync(default));

        Assert.Equal([TimeSpan.FromSeconds(5)], _clock.Waits);
    }

    [Fact]
    public async Task PushPending_RetryAfterLongerThanMaxDelay_LeavesItPendingForTheNextPush()
    {
        await QueueAsync("s1");
        var sink = new ScriptedSink { ["s1"] = [Unavailable with { RetryAfter = TimeSpan.FromMinutes(10) }, null] };
        using var push = Push(sink, Retry());

        Assert.Equal((0, 0, 1), await push.PushPendingAsync(default));

        Assert.Empty(_clock.Waits);
        Assert.Equal(1, Assert.Single(await Store.GetPendingOutboxAsync(10, default)).Attempts);
    }

    [Fact]
    public async Task PushPending_TimedOut_WaitsTheRequestTimeoutBeforeTheResend_EvenBeyondMaxDelay()
    {
        // The registry may still be applying the timed-out transaction: the resend waits as long as it had (60 s, the
        // default registry timeout), though that is more than MaxDelay (30 s), which bounds waits for an answer.
        await QueueAsync("s1");
        var timedOut = new PushFailure("no answer from the registry within 60 s", Permanent: false, Settle: TimeSpan.FromSeconds(60));
        var sink = new ScriptedSink { ["s1"] = [timedOut, null] };
        using var push = Push(sink, Retry());

        Assert.Equal((1, 0, 0), await push.PushPendingAsync(default));

        Assert.Equal([TimeSpan.FromSeconds(60)], _clock.Waits);
    }

    [Fact]
    public async Task PushPending_TimedOutWithASettleBeyondTheTotalWait_LeavesItPendingForTheNextPush()
    {
        await QueueAsync("s1");
        var timedOut = new PushFailure("no answer from the registry within 600 s", Permanent: false, Settle: TimeSpan.FromMinutes(10));
        var sink = new ScriptedSink { ["s1"] = [timedOut, null] };
        using var push = Push(sink, Retry());

        Assert.Equal((0, 0, 1), await push.PushPendingAsync(default));

        Assert.Empty(_clock.Waits);
        Assert.Equal(["s1"], sink.Sent);
    }

    [Fact]
    public async Task PushPending_StillFailingAfterTheLastAttempt_StopsThePushSoLaterChangeSetsKeepTheirOrder()
    {
        await QueueAsync("s1", "s2");
        var sink = new ScriptedSink { ["s1"] = [Unavailable, Unavailable, Unavailable, null] };
        using var push = Push(sink, Retry(attempts: 3));

        Assert.Equal((0, 0, 2), await push.PushPendingAsync(default));
        Assert.Equal(["s1", "s1", "s1"], sink.Sent);
        var first = (await Store.GetPendingOutboxAsync(10, default))[0];
        Assert.Equal(("s1", 3, "503 Service Unavailable"), (first.SubjectKey, first.Attempts, first.LastError));

        Assert.Equal((2, 0, 0), await push.PushPendingAsync(default));
        Assert.Equal(["s1", "s1", "s1", "s1", "s2"], sink.Sent);
    }

    [Fact]
    public async Task PushPending_ManyBatches_EachSentOnceInOrderAndAllMarkedSent()
    {
        // More than two reads of the outbox (100 at a time) and several marks (a few dozen at a time): a read that ran
        // before the previous batch was marked would see it again and end the push early.
        var subjects = Enumerable.Range(0, 237).Select(i => $"s{i:D3}").ToArray();
        await QueueAsync(subjects);
        var sink = new ScriptedSink();
        using var push = Push(sink, RegistryPushRetry.None);

        Assert.Equal((237, 0, 0), await push.PushPendingAsync(default));

        Assert.Equal(subjects, sink.Sent);
        var counts = await Store.GetOutboxCountsAsync(default);
        Assert.Equal((237, false), (counts["sent"], counts.ContainsKey("pending")));
        Assert.Equal((0, 0, 0), await push.PushPendingAsync(default));
        Assert.Equal(237, sink.Sent.Count);
    }

    [Fact]
    public async Task PushPending_CancelledMidway_WhatTheRegistryAcceptedIsMarkedSentTheRestStaysPending()
    {
        await QueueAsync([.. Enumerable.Range(0, 30).Select(i => $"s{i:D2}")]);
        using var cancel = new CancellationTokenSource();
        var sink = new ScriptedSink { AfterSend = n => { if (n == 7) { cancel.Cancel(); } } };
        using var push = Push(sink, RegistryPushRetry.None);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => push.PushPendingAsync(cancel.Token));

        // Accepted but not yet marked when the push stopped: marked on the way out, so not sent twice.
        var counts = await Store.GetOutboxCountsAsync(default);
        Assert.Equal((7, 23), (counts["sent"], counts["pending"]));
        Assert.Equal((23, 0, 0), await push.PushPendingAsync(default));
        Assert.Equal(30, sink.Sent.Distinct().Count());
        Assert.Equal(30, sink.Sent.Count);
    }

    [Fact]
    public async Task PushPending_TotalWait_IsBounded()
    {
        await QueueAsync("s1");
        var sink = new ScriptedSink { ["s1"] = [.. Enumerable.Repeat(Unavailable, 20)] };
        using var push = Push(sink, Retry(attempts: 20) with { MaxTotalDelay = TimeSpan.FromSeconds(10) });

        Assert.Equal((0, 0, 1), await push.PushPendingAsync(default));

        Assert.True(_clock.Waits.Sum(w => w.TotalSeconds) <= 10, string.Join(", ", _clock.Waits));
        Assert.InRange(_clock.Waits.Count, 2, 4);
    }

    /// <summary>Answers each subject from its script in turn; accepts once the script is used up (or for subjects without one).</summary>
    private sealed class ScriptedSink : Dictionary<string, List<PushFailure?>>, IRegistrySink
    {
        public List<string> Sent { get; } = [];

        /// <summary>Called with the number of change sets sent so far after each one is accepted.</summary>
        public Action<int>? AfterSend { get; init; }

        public string Describe() => "scripted";

        public Task<PushFailure?> SendAsync(OutboxItem item, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Sent.Add(item.SubjectKey);
            if (!TryGetValue(item.SubjectKey, out var script) || script.Count == 0)
            {
                AfterSend?.Invoke(Sent.Count);
                return Task.FromResult<PushFailure?>(null);
            }

            var answer = script[0];
            script.RemoveAt(0);
            return Task.FromResult(answer);
        }
    }

    /// <summary>A clock whose timers fire at once, recording what they were asked to wait.</summary>
    private sealed class InstantClock : TimeProvider
    {
        private readonly List<TimeSpan> _waits = [];

        public List<TimeSpan> Waits
        {
            get
            {
                lock (_waits)
                {
                    return [.. _waits];
                }
            }
        }

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            lock (_waits)
            {
                _waits.Add(dueTime);
            }

            ThreadPool.QueueUserWorkItem(_ => callback(state));
            return new Fired();
        }

        private sealed class Fired : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => false;

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => default;
        }
    }
}
