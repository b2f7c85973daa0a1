using FhirBridge.Cli.Push;
using FhirBridge.Conformance;
using FhirBridge.Fhir.Push;
using FhirBridge.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace FhirBridge.Tests.Push;

/// <summary>
/// A change set found conforming when it was made carries the check's fingerprint (<see cref="OutboxItem.CheckedBy"/>),
/// and the push sends it without checking it again; one with another fingerprint or none is checked at the push as
/// before. (A replayed dead letter is not resent: its patient is recomputed, and the new change set is checked as it is
/// made.) To show which were checked, the Bundles here all fail the check: one sent
/// anyway was not checked.
/// </summary>
public sealed class RegistryPushVerdictTests : OutboxTestBase
{
    // A Patient without meta.profile: a profile violation the check never lets through.
    private const string Violating = """{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Patient","gender":"male"},"request":{"method":"PUT","url":"Patient/1"}}]}""";

    private static readonly ChangeSetValidation Validation = new(new ProfileValidator(ProfileSet.Load(Path.Combine(Cli.Fhirbridge.RepositoryRoot, "profiles"))));

    [Fact]
    public async Task PushPending_MatchingVerdict_SentWithoutACheck()
    {
        await QueueAsync(("s1", Validation.Fingerprint));
        var sink = new RecordingSink();
        using var push = Push(sink);

        Assert.Equal((1, 0, 0), await push.PushPendingAsync(default));

        Assert.Equal(["s1"], sink.Sent);
    }

    [Fact]
    public async Task PushPending_StaleOrMissingVerdict_CheckedAndDeadLetteredWithTheCheckMessage()
    {
        // Between two vouched ones, so the check-ahead runs with some change sets it need not check.
        var stale = new string('0', 64);
        await QueueAsync(("s1", Validation.Fingerprint), ("s2", stale), ("s3", null), ("s4", Validation.Fingerprint));
        var sink = new RecordingSink();
        using var push = Push(sink);

        Assert.Equal((2, 2, 0), await push.PushPendingAsync(default));

        Assert.Equal(["s1", "s4"], sink.Sent);
        var dead = (await Store.GetOutboxAsync(OutboxState.Dead, 10, default)).OrderBy(d => d.Id).ToList();
        Assert.Equal(["s2", "s3"], dead.Select(d => d.SubjectKey));
        Assert.All(dead, d => Assert.Equal(Validation.Check(Violating), d.LastError));
        Assert.Contains("profile violation(s); not sent", dead[0].LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PushPending_NoValidation_SendsWhateverTheVerdict()
    {
        await QueueAsync(("s1", null), ("s2", "anything"));
        var sink = new RecordingSink();
        using var push = new RegistryPush(Store, sink, NullLogger<RegistryPush>.Instance, RegistryPushRetry.None);

        Assert.Equal((2, 0, 0), await push.PushPendingAsync(default));
    }

    private RegistryPush Push(IRegistrySink sink) =>
        new(Store, sink, NullLogger<RegistryPush>.Instance, RegistryPushRetry.None, validation: Validation);

    private Task QueueAsync(params (string Subject, string? CheckedBy)[] changeSets) =>
        Store.CommitRecomputeAsync("h", "p1", null, [], [.. changeSets.Select(c => new QueuedChangeSet(c.Subject, Violating, c.CheckedBy))], [], default);

    /// <summary>Accepts everything except the subjects refused for good; records every attempt in order.</summary>
    private sealed class RecordingSink : IRegistrySink
    {
        public List<string> Sent { get; } = [];

        public HashSet<string> Refused { get; } = [];

        public string Describe() => "recording";

        public Task<PushFailure?> SendAsync(OutboxItem item, CancellationToken cancellationToken)
        {
            Sent.Add(item.SubjectKey);
            return Task.FromResult(Refused.Contains(item.SubjectKey) ? new PushFailure("422 refused", Permanent: true) : null);
        }
    }
}
