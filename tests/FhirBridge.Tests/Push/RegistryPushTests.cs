using FhirBridge.Cli.Push;
using FhirBridge.Fhir.Push;
using FhirBridge.Storage;
using FhirBridge.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace FhirBridge.Tests.Push;

/// <summary>The outbox: a change set leaves only when accepted; a transient failure stays pending, a permanent one is dead-lettered with its message.</summary>
public sealed class RegistryPushTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fhirbridge-push-").FullName;
    private SqliteStateStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = new SqliteStateStore(Path.Combine(_dir, "state.db"));
        await _store.MigrateAsync(default);
        await _store.CommitRecomputeAsync("h", "p1", null, [], [("s1", "{\"n\":1}"), ("s2", "{\"n\":2}"), ("s3", "{\"n\":3}")], [], default);
    }

    public Task DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task PushPending_MixedAnswers_SentLeaveDeadAreKeptWithMessageTransientStay()
    {
        var sink = new ScriptedSink(new Dictionary<string, PushFailure?>
        {
            ["s1"] = null,
            ["s2"] = new PushFailure("422 Unprocessable Entity: Procedure.code is required", Permanent: true),
            ["s3"] = new PushFailure("503 Service Unavailable", Permanent: false),
        });
        using var push = new RegistryPush(_store, sink, NullLogger<RegistryPush>.Instance);

        var (sent, dead, pending) = await push.PushPendingAsync(default);

        Assert.Equal((1, 1, 1), (sent, dead, pending));
        var left = Assert.Single(await _store.GetPendingOutboxAsync(10, default));
        Assert.Equal(("s3", "503 Service Unavailable"), (left.SubjectKey, left.LastError));
        var counts = await _store.GetOutboxCountsAsync(default);
        Assert.Equal((1, 1), (counts["sent"], counts["dead"]));

        // Once the registry is back, the pending one goes; nothing already sent is sent again.
        sink.Answers["s3"] = null;
        Assert.Equal((1, 0, 0), await push.PushPendingAsync(default));
        Assert.Equal(["s1", "s2", "s3", "s3"], sink.Sent);
    }

    private sealed class ScriptedSink(Dictionary<string, PushFailure?> answers) : IRegistrySink
    {
        public Dictionary<string, PushFailure?> Answers { get; } = answers;

        public List<string> Sent { get; } = [];

        public string Describe() => "scripted";

        public Task<PushFailure?> SendAsync(OutboxItem item, CancellationToken cancellationToken)
        {
            Sent.Add(item.SubjectKey);
            return Task.FromResult(Answers[item.SubjectKey]);
        }
    }
}
