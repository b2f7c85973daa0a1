using FhirBridge.Cli.Push;
using FhirBridge.Fhir.Http;
using FhirBridge.Fhir.Push;
using FhirBridge.Storage;
using FhirBridge.Storage.Sqlite;
using FhirBridge.TestServer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FhirBridge.Tests.Push;

/// <summary>The outbox pushed to the FHIR test server as the registry, with retries within the push, over real loopback HTTP.</summary>
public sealed class RegistryPushOverFhirTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fhirbridge-push-fhir-").FullName;
    private FhirTestServer _registry = null!;
    private ServiceProvider _services = null!;
    private SqliteStateStore _store = null!;

    public async Task InitializeAsync()
    {
        _registry = await FhirTestServer.StartAsync();
        var services = new ServiceCollection().AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        services.AddFhirRegistryHttp(_registry.BaseUrl, new FhirSourceHttpSettings { RequestTimeout = TimeSpan.FromSeconds(10), CircuitBreakerMinimumThroughput = 100 });
        _services = services.BuildServiceProvider();
        _store = new SqliteStateStore(Path.Combine(_dir, "state.db"));
        await _store.MigrateAsync(default);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _registry.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private RegistryPush Push() => new(_store, FhirRegistrySink.Create(_services), NullLogger<RegistryPush>.Instance,
        new RegistryPushRetry { BaseDelay = TimeSpan.FromMilliseconds(10), Seed = 1 });

    /// <summary>A one-subject change set: the subject as a conditional upsert.</summary>
    private Task QueueAsync(string subject) =>
        _store.CommitRecomputeAsync("hospital-a", "p1", null, [], [new(subject, $$$"""
            {"resourceType":"Bundle","type":"transaction","entry":[{
              "fullUrl":"urn:uuid:{{{Guid.NewGuid()}}}",
              "resource":{"resourceType":"ResearchSubject","identifier":[{"system":"http://fhirbridge.org/fhir/sid/research-subject","value":"{{{subject}}}"}],
                "status":"on-study","study":{"display":"NCT05995327"},"individual":{"display":"pseudonymous"}},
              "request":{"method":"PUT","url":"ResearchSubject?identifier={{{Uri.EscapeDataString("http://fhirbridge.org/fhir/sid/research-subject")}}}|{{{subject}}}"}}]}
            """)], [], default);

    [Fact]
    public async Task PushPending_500OnTheFirstTransaction_IsRetriedAndSentInTheSamePush()
    {
        await QueueAsync("s1");
        _registry.Faults.Enqueue(Fault.Status(500), FhirInteraction.Transaction);
        using var push = Push();

        Assert.Equal((1, 0, 0), await push.PushPendingAsync(default));

        Assert.Equal([500, 200], _registry.Requests.Where(r => r.Interaction == FhirInteraction.Transaction).Select(r => r.StatusCode));
        Assert.Equal(2, Assert.Single(await _store.GetOutboxAsync(OutboxState.Sent, 10, default)).Attempts);
        Assert.Equal(1, _registry.ResourceCount("ResearchSubject"));
    }

    [Fact]
    public async Task PushPending_CommittedThenConnectionReset_RetryLeavesOneResourcePerIdentifier()
    {
        await QueueAsync("s1");
        await QueueAsync("s2");
        _registry.Faults.Enqueue(Fault.ConnectionReset(afterProcessing: true), FhirInteraction.Transaction);
        using var push = Push();

        Assert.Equal((2, 0, 0), await push.PushPendingAsync(default));

        Assert.Equal(3, _registry.Requests.Count(r => r.Interaction == FhirInteraction.Transaction));
        Assert.Equal(2, _registry.ResourceCount("ResearchSubject"));
    }

    [Fact]
    public async Task PushPending_422_IsADeadLetterWithTheRegistrysMessage_AndThePushGoesOn()
    {
        await QueueAsync("s1");
        await QueueAsync("s2");
        _registry.Faults.Enqueue(Fault.Status(422, "ResearchSubject.study must reference the study"), FhirInteraction.Transaction);
        using var push = Push();

        Assert.Equal((1, 1, 0), await push.PushPendingAsync(default));

        var dead = Assert.Single(await _store.GetOutboxAsync(OutboxState.Dead, 10, default));
        Assert.Equal(("s1", 1, "422 Unprocessable Entity: error invalid: ResearchSubject.study must reference the study"), (dead.SubjectKey, dead.Attempts, dead.LastError));
        Assert.NotNull(dead.DeadAt);
        Assert.Equal(1, _registry.ResourceCount("ResearchSubject"));
    }
}
