using FhirBridge.Reconcile;
using FhirBridge.Storage.Postgres;
using FhirBridge.TestServer.Postgres;
using Npgsql;

namespace FhirBridge.Tests.Storage.Postgres;

/// <summary><see cref="StateStoreTests"/> on PostgreSQL, in a throw-away database (skipped without a server); and the migration of the projection to rows per patient.</summary>
public sealed class PostgresStateStoreTests : StateStoreTests, IRunsOnPostgres
{
    /// <inheritdoc />
    protected override StoreDatabase CreateDatabase() => new PostgresStoreDatabase();

    [StoreFact]
    public async Task Migrate_FromSchemaThree_KeepsTheProjectionAndLetsTwoPatientsHoldOneRecordKey()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using (var connection = new NpgsqlConnection(database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE schema_version (version integer NOT NULL); INSERT INTO schema_version VALUES (3);"
                + string.Concat(PostgresSchema.Migrations.Take(3))
                + "INSERT INTO projection (source, patient, record_key, subject_key, hash, json, open_until) VALUES ('h', 'p1', 'ResearchSubject|s1', 's1', 'h1', '{\"a\":1}', '2026-02-01T00:00:00.0000000Z');";
            await command.ExecuteNonQueryAsync();
        }

        await using var store = new PostgresStateStore(database.ConnectionString, TimeProvider.System);
        await store.MigrateAsync(default);

        Assert.Equal(
            new ProjectedRecord("ResearchSubject|s1", "s1", "h1", "{\"a\":1}", new DateTimeOffset(2026, 2, 1, 0, 0, 0, TimeSpan.Zero)),
            Assert.Single(await store.GetProjectionAsync("h", "p1", default)));
        Assert.Equal(["p1"], await store.GetPatientsWithClosedWindowsAsync("h", new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero), default));
        await store.CommitRecomputeAsync("h", "p2", null, [new ProjectedRecord("ResearchSubject|s1", "s1", "h2", "{}", null)], [], [], default);
        Assert.Equal("h2", Assert.Single(await store.GetProjectionAsync("h", "p2", default)).Hash);
        Assert.Single(await store.GetProjectionAsync("h", "p1", default));
    }
}
