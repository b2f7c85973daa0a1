using FhirBridge.Cli.Push;
using FhirBridge.Fhir.Push;
using FhirBridge.Storage;
using FhirBridge.Storage.Postgres;
using FhirBridge.TestServer.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace FhirBridge.Tests.Push;

/// <summary>
/// The push lock on PostgreSQL lives as long as its own session (IStoreLock.IsHeldAsync). When the server ends that
/// session mid-push, another instance may take the lock: the push stops before its next change set, which stays
/// pending, so two instances never send one subject's change sets at once.
/// </summary>
public sealed class RegistryPushLockTests
{
    [PostgresFact]
    public async Task PushPending_LockSessionEndedMidPush_StopsBeforeTheNextChangeSet_AndTheNextPushSendsTheRestInOrder()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var store = new PostgresStateStore(database.ConnectionString, TimeProvider.System);
        await store.MigrateAsync(default);
        await store.CommitRecomputeAsync("h", "p1", null, [], [new("s1", "{}"), new("s2", "{}"), new("s3", "{}")], [], default);
        var sink = new LockEndingSink(database.ConnectionString);
        using var push = new RegistryPush(store, sink, NullLogger<RegistryPush>.Instance, RegistryPushRetry.None);

        Assert.Equal((1, 0, 2), await push.PushPendingAsync(default));
        Assert.Equal(["s1"], sink.Sent);

        Assert.Equal((2, 0, 0), await push.PushPendingAsync(default));
        Assert.Equal(["s1", "s2", "s3"], sink.Sent);
    }

    /// <summary>Accepts everything; while sending the first change set, the server ends the push lock's session.</summary>
    private sealed class LockEndingSink(string connectionString) : IRegistrySink
    {
        public List<string> Sent { get; } = [];

        public string Describe() => "lock-ending";

        public async Task<PushFailure?> SendAsync(OutboxItem item, CancellationToken cancellationToken)
        {
            if (Sent.Count == 0)
            {
                await using var admin = new NpgsqlConnection(connectionString);
                await admin.OpenAsync(cancellationToken);
                await using var terminate = new NpgsqlCommand(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database());",
                    admin);
                Assert.Equal(true, await terminate.ExecuteScalarAsync(cancellationToken));
            }

            Sent.Add(item.SubjectKey);
            return null;
        }
    }
}
