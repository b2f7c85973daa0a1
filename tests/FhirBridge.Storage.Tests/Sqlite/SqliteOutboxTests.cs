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
        Assert.Equal(old.Id + 1, (await store.ReplayOutboxAsync(old.Id, default)).QueuedId);
    }
}
