using FhirBridge.Storage.Postgres;
using FhirBridge.TestServer.Postgres;
using Npgsql;

namespace FhirBridge.Tests.Storage.Postgres;

/// <summary><see cref="OutboxTests"/> on PostgreSQL, in a throw-away database (skipped without a server); and the migrations of an outbox from the schema before verdicts and before dead letters doubted the projection.</summary>
public sealed class PostgresOutboxTests : OutboxTests, IRunsOnPostgres
{
    /// <inheritdoc />
    protected override StoreDatabase CreateDatabase() => new PostgresStoreDatabase();

    [StoreFact]
    public async Task Migrate_FromSchemaTwo_KeepsQueuedItemsWithoutAVerdict()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using (var connection = new NpgsqlConnection(database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE schema_version (version integer NOT NULL); INSERT INTO schema_version VALUES (2);"
                + string.Concat(PostgresSchema.Migrations.Take(2))
                + "INSERT INTO outbox (source, patient, subject_key, bundle, created_at) VALUES ('h', 'p', 's', '{}', '2026-01-01T00:00:00.0000000Z');";
            await command.ExecuteNonQueryAsync();
        }

        await using var store = new PostgresStateStore(database.ConnectionString, Clock);
        await store.MigrateAsync(default);

        Assert.Null(Assert.Single(await store.GetPendingOutboxAsync(10, default)).CheckedBy);
        await store.CommitRecomputeAsync("h", "p", null, [], [new("s", "{}", "check-1")], [], default);
        Assert.Equal([null, "check-1"], (await store.GetPendingOutboxAsync(10, default)).Select(i => i.CheckedBy));
    }

    [StoreFact]
    public async Task Migrate_FromSchemaFour_OldDeadLettersAreReplayedByRecompute()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using (var connection = new NpgsqlConnection(database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE schema_version (version integer NOT NULL); INSERT INTO schema_version VALUES (4);"
                + string.Concat(PostgresSchema.Migrations.Take(4))
                + DeadLettersBeforeDoubt.Replace(") VALUES (", ") OVERRIDING SYSTEM VALUE VALUES (", StringComparison.Ordinal) // ids are identity columns here
                + "SELECT setval(pg_get_serial_sequence('outbox', 'id'), 3);";
            await command.ExecuteNonQueryAsync();
        }

        await using var store = new PostgresStateStore(database.ConnectionString, Clock);
        await store.MigrateAsync(default);

        await AssertDeadLettersBeforeDoubtAsync(store);
    }
}
