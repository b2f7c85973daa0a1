using FhirBridge.Storage;
using FhirBridge.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace FhirBridge.Tests.Storage.Sqlite;

/// <summary><see cref="OutboxTests"/> on SQLite, in a throw-away file; and the migration of an outbox from SQLite's first schema.</summary>
public sealed class SqliteOutboxTests : OutboxTests
{
    /// <inheritdoc />
    protected override StoreDatabase CreateDatabase() => new SqliteStoreDatabase();

    [Fact]
    public async Task Migrate_FromTheFirstSchema_KeepsQueuedItemsWithoutTimes()
    {
        var path = Path.Combine(((SqliteStoreDatabase)Database).Folder, "v1.db");
        await using (var connection = new SqliteConnection($"Data Source={path}"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1);"
                + SqliteSchema.Migrations[0]
                + "INSERT INTO outbox (source, patient, subject_key, bundle) VALUES ('h', 'p', 's', '{}');";
            await command.ExecuteNonQueryAsync();
        }

        var store = new SqliteStateStore(path, Clock);
        await store.MigrateAsync(default);

        var old = Assert.Single(await store.GetOutboxAsync(OutboxState.Pending, 10, default));
        Assert.Equal(("s", 0, (DateTimeOffset?)null, (long?)null), (old.SubjectKey, old.Attempts, old.CreatedAt, old.ReplayOf));
        await store.MarkOutboxFailedAsync(old.Id, "400 Bad Request: error invalid: bad", dead: true, default);
        Assert.True((await store.ReplayOutboxAsync(old.Id, default)).Replayed);
        Assert.Equal("p", Assert.Single(await store.GetDirtyPatientsAsync("h", 10, default)).Patient);
    }

    [Fact]
    public async Task Migrate_FromSchemaFour_KeepsQueuedItemsWithoutAVerdict()
    {
        var path = Path.Combine(((SqliteStoreDatabase)Database).Folder, "v4.db");
        await using (var connection = new SqliteConnection($"Data Source={path}"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (4);"
                + string.Concat(SqliteSchema.Migrations.Take(4))
                + "INSERT INTO outbox (source, patient, subject_key, bundle, created_at) VALUES ('h', 'p', 's', '{}', '2026-01-01T00:00:00.0000000Z');";
            await command.ExecuteNonQueryAsync();
        }

        var store = new SqliteStateStore(path, Clock);
        await store.MigrateAsync(default);

        Assert.Null(Assert.Single(await store.GetPendingOutboxAsync(10, default)).CheckedBy);
        await store.CommitRecomputeAsync("h", "p", null, [], [new("s", "{}", "check-1")], [], default);
        Assert.Equal([null, "check-1"], (await store.GetPendingOutboxAsync(10, default)).Select(i => i.CheckedBy));
    }

    [Fact]
    public async Task Migrate_FromSchemaSix_OldDeadLettersAreReplayedByRecompute()
    {
        var path = Path.Combine(((SqliteStoreDatabase)Database).Folder, "v6.db");
        await using (var connection = new SqliteConnection($"Data Source={path}"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (6);"
                + string.Concat(SqliteSchema.Migrations.Take(6))
                + DeadLettersBeforeDoubt;
            await command.ExecuteNonQueryAsync();
        }

        var store = new SqliteStateStore(path, Clock);
        await store.MigrateAsync(default);

        await AssertDeadLettersBeforeDoubtAsync(store);
    }
}
