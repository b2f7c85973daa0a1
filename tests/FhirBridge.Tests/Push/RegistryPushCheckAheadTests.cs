using FhirBridge.Cli.Push;
using FhirBridge.Conformance;
using FhirBridge.Fhir.Push;
using FhirBridge.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace FhirBridge.Tests.Push;

/// <summary>
/// The profile check runs ahead of the sender on every core (CheckAhead); what is sent, dead-lettered or left pending is
/// still decided strictly in order: over several outbox batches, with violations in the middle of a batch and at its
/// edges, and with a transient failure stopping the push while later change sets were already checked.
/// </summary>
public sealed class RegistryPushCheckAheadTests : OutboxTestBase
{
    private const string Conforming = """{"resourceType":"Bundle","type":"transaction"}""";
    private const string Unreadable = """{"subject":"not a Bundle"}""";

    // A Patient without meta.profile: a profile violation (not an unreadable Bundle).
    private const string Violating = """{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Patient","gender":"male"},"request":{"method":"PUT","url":"Patient/1"}}]}""";

    private static readonly ChangeSetValidation Validation = new(new ProfileValidator(ProfileSet.Load(Path.Combine(Cli.Fhirbridge.RepositoryRoot, "profiles"))));

    [Fact]
    public async Task PushPending_ViolationsInTheMiddleAndAtTheEdgesOfBatches_SendsTheRestInOrderDeadLettersEachWithItsMessage()
    {
        // 250 change sets: three outbox batches of 100; failing ones first, last and in the middle of a batch.
        var bad = new Dictionary<int, string> { [0] = Unreadable, [5] = Violating, [99] = Unreadable, [100] = Violating, [150] = Violating, [151] = Unreadable, [249] = Violating };
        await QueueAsync(Enumerable.Range(0, 250).Select(i => ($"s{i:D3}", bad.GetValueOrDefault(i, Conforming))));
        var sink = new RecordingSink();
        using var push = new RegistryPush(Store, sink, NullLogger<RegistryPush>.Instance, RegistryPushRetry.None, validation: Validation);

        Assert.Equal((243, 7, 0), await push.PushPendingAsync(default));

        Assert.Equal([.. Enumerable.Range(0, 250).Where(i => !bad.ContainsKey(i)).Select(i => $"s{i:D3}")], sink.Sent);
        var dead = (await Store.GetOutboxAsync(OutboxState.Dead, 100, default)).OrderBy(d => d.Id).ToList();
        Assert.Equal([.. bad.Keys.Order().Select(i => $"s{i:D3}")], dead.Select(d => d.SubjectKey));
        foreach (var item in dead)
        {
            // The message is exactly what checking that change set on its own says.
            Assert.Equal(Validation.Check(item.Bundle), item.LastError);
        }

        Assert.Contains("profile violation(s); not sent", dead[1].LastError, StringComparison.Ordinal);
        Assert.Contains("not a FHIR transaction Bundle", dead[0].LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PushPending_TransientFailureWhileLaterChangeSetsWereCheckedAhead_StopsThereLaterOnesStayPendingInOrder()
    {
        await QueueAsync(Enumerable.Range(0, 150).Select(i => ($"s{i:D3}", i == 130 ? Violating : Conforming)));
        var sink = new RecordingSink { Failing = { ["s120"] = 1 } };
        using var push = new RegistryPush(Store, sink, NullLogger<RegistryPush>.Instance, RegistryPushRetry.None, validation: Validation);

        Assert.Equal((120, 0, 30), await push.PushPendingAsync(default));

        Assert.Equal([.. Enumerable.Range(0, 121).Select(i => $"s{i:D3}")], sink.Sent);
        var pending = await Store.GetPendingOutboxAsync(100, default);
        Assert.Equal([.. Enumerable.Range(120, 30).Select(i => $"s{i:D3}")], pending.Select(p => p.SubjectKey));
        Assert.Equal(1, pending[0].Attempts);
        Assert.All(pending.Skip(1), p => Assert.Equal(0, p.Attempts));
        Assert.Empty(await Store.GetOutboxAsync(OutboxState.Dead, 10, default));

        // The next push starts again at the one that failed; the violation after it is dead-lettered in its turn.
        Assert.Equal((29, 1, 0), await push.PushPendingAsync(default));
        Assert.Equal([.. Enumerable.Range(0, 121).Concat(Enumerable.Range(120, 30).Where(i => i != 130)).Select(i => $"s{i:D3}")], sink.Sent);
        Assert.Equal("s130", Assert.Single(await Store.GetOutboxAsync(OutboxState.Dead, 10, default)).SubjectKey);
    }

    [Fact]
    public async Task PushPending_PermanentRefusalInTheMiddle_DeadLettersItAndGoesOn()
    {
        await QueueAsync(Enumerable.Range(0, 40).Select(i => ($"s{i:D3}", Conforming)));
        var sink = new RecordingSink { Refused = { "s017" } };
        using var push = new RegistryPush(Store, sink, NullLogger<RegistryPush>.Instance, RegistryPushRetry.None, validation: Validation);

        Assert.Equal((39, 1, 0), await push.PushPendingAsync(default));

        Assert.Equal([.. Enumerable.Range(0, 40).Select(i => $"s{i:D3}")], sink.Sent);
        Assert.Equal("422 refused", Assert.Single(await Store.GetOutboxAsync(OutboxState.Dead, 10, default)).LastError);
    }

    private Task QueueAsync(IEnumerable<(string Subject, string Bundle)> changeSets) =>
        Store.CommitRecomputeAsync("h", "p1", null, [], [.. changeSets.Select(c => new QueuedChangeSet(c.Subject, c.Bundle))], [], default);

    /// <summary>Accepts everything except the subjects told otherwise; records every attempt in order.</summary>
    private sealed class RecordingSink : IRegistrySink
    {
        public List<string> Sent { get; } = [];

        /// <summary>Subjects refused transiently, and how many times.</summary>
        public Dictionary<string, int> Failing { get; } = [];

        /// <summary>Subjects refused for good.</summary>
        public HashSet<string> Refused { get; } = [];

        public string Describe() => "recording";

        public Task<PushFailure?> SendAsync(OutboxItem item, CancellationToken cancellationToken)
        {
            Sent.Add(item.SubjectKey);
            if (Refused.Contains(item.SubjectKey))
            {
                return Task.FromResult<PushFailure?>(new PushFailure("422 refused", Permanent: true));
            }

            if (Failing.TryGetValue(item.SubjectKey, out var left) && left > 0)
            {
                Failing[item.SubjectKey] = left - 1;
                return Task.FromResult<PushFailure?>(new PushFailure("503 Service Unavailable", Permanent: false));
            }

            return Task.FromResult<PushFailure?>(null);
        }
    }
}
