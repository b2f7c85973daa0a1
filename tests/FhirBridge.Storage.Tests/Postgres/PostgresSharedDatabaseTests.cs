using FhirBridge.Storage;
using FhirBridge.Storage.Postgres;
using FhirBridge.TestServer.Postgres;
using Npgsql;

namespace FhirBridge.Tests.Storage.Postgres;

/// <summary>What PostgreSQL is for: several instances, each with its own store object, sharing one database.</summary>
public sealed class PostgresSharedDatabaseTests
{
    private const string Source = "hospital-a";

    private static StoredResource Procedure(string id, string version, string patient = "p1") =>
        new("Procedure", id, version, null, patient, $"{{\"v\":{version}}}");

    [PostgresFact]
    public async Task Migrate_ThreeInstancesAtOnceOnAnEmptyDatabase_AllSucceedAndMigrateOnce()
    {
        await using var database = await TestDatabase.CreateAsync();
        PostgresStateStore[] stores = [new(database.ConnectionString), new(database.ConnectionString), new(database.ConnectionString)];
        try
        {
            await Task.WhenAll(stores.Select(s => Task.Run(() => s.MigrateAsync(default))));

            await Task.WhenAll(stores.Select(s => s.PingAsync(default)));
            await using var connection = new NpgsqlConnection(database.ConnectionString);
            await connection.OpenAsync();
            // Each migration applied once: as many rows as versions, none repeated.
            await using var count = new NpgsqlCommand("SELECT COUNT(*) = COUNT(DISTINCT version) AND COUNT(*) = MAX(version) AND COUNT(*) >= 2 FROM schema_version;", connection);
            Assert.Equal(true, await count.ExecuteScalarAsync());
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }
    }

    [PostgresFact]
    public async Task TwoStoresOnOneDatabase_SeeEachOthersWrites()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var puller = new PostgresStateStore(database.ConnectionString);
        await using var pusher = new PostgresStateStore(database.ConnectionString);
        await puller.MigrateAsync(default);
        await pusher.MigrateAsync(default);

        await puller.IngestAsync(Source, new IngestBatch { Resources = [Procedure("op1", "1")] }, default);
        var dirty = Assert.Single(await pusher.GetDirtyPatientsAsync(Source, 10, default));
        await pusher.CommitRecomputeAsync(Source, dirty.Patient, dirty.Generation, [], [new("s1", "{}")], [], default);
        var queued = Assert.Single(await puller.GetPendingOutboxAsync(10, default));
        await puller.MarkOutboxSentAsync([queued.Id], default);

        Assert.Empty(await puller.GetDirtyPatientsAsync(Source, 10, default));
        Assert.Equal(OutboxState.Sent, (await pusher.GetOutboxItemAsync(queued.Id, default))!.State);
        Assert.Equal("{\"v\":1}", Assert.Single(await pusher.GetPatientResourcesAsync(Source, "p1", default)).Json);
    }

    [PostgresFact]
    public async Task Ingest_TwoInstancesAtOnce_KeepTheNewestVersionAndCountEveryChange()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var first = new PostgresStateStore(database.ConnectionString);
        await using var second = new PostgresStateStore(database.ConnectionString);
        await first.MigrateAsync(default);

        // Both pull the same resource's versions in opposite orders; whatever the interleaving, the newest is kept.
        var versions = Enumerable.Range(1, 30).Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        await Task.WhenAll(
            Task.Run(async () => { foreach (var v in versions) { await first.IngestAsync(Source, new IngestBatch { Resources = [Procedure("op1", v)] }, default); } }),
            Task.Run(async () => { foreach (var v in versions.Reverse()) { await second.IngestAsync(Source, new IngestBatch { Resources = [Procedure("op1", v)] }, default); } }));

        Assert.Equal("30", Assert.Single(await first.GetPatientResourcesAsync(Source, "p1", default)).VersionId);
    }

    [PostgresFact]
    public async Task LockSessionKeepalive_OnATcpSession_BoundsHowLongAVanishedHostHoldsALock()
    {
        // The lock's session swallows a refused setting (a platform without it), so a misspelt one would go unnoticed
        // there: here it must apply, on a TCP session like the tests' server connection.
        await using var database = await TestDatabase.CreateAsync();
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using (var set = new NpgsqlCommand(PostgresStateStore.LockSessionKeepalive, connection))
        {
            await set.ExecuteNonQueryAsync();
        }

        async Task<string> Show(string setting)
        {
            await using var show = new NpgsqlCommand("SELECT current_setting($1);", connection) { Parameters = { new() { Value = setting } } };
            return (string)(await show.ExecuteScalarAsync())!;
        }

        Assert.Equal<string[]>(["15", "5", "3"], [await Show("tcp_keepalives_idle"), await Show("tcp_keepalives_interval"), await Show("tcp_keepalives_count")]);
    }
}
