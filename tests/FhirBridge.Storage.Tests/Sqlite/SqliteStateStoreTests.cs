using FhirBridge.Reconcile;
using FhirBridge.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace FhirBridge.Tests.Storage.Sqlite;

/// <summary><see cref="StateStoreTests"/> on SQLite, in a throw-away file; and the migration of the projection to rows per patient.</summary>
public sealed class SqliteStateStoreTests : StateStoreTests
{
    /// <inheritdoc />
    protected override StoreDatabase CreateDatabase() => new SqliteStoreDatabase();

    [Fact]
    public async Task Migrate_FromSchemaFive_KeepsTheProjectionAndLetsTwoPatientsHoldOneRecordKey()
    {
        var path = Path.Combine(((SqliteStoreDatabase)Database).Folder, "v5.db");
        await using (var connection = new SqliteConnection($"Data Source={path}"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (5);"
                + string.Concat(SqliteSchema.Migrations.Take(5))
                + "INSERT INTO projection (source, patient, record_key, subject_key, hash, json, open_until) VALUES ('h', 'p1', 'ResearchSubject|s1', 's1', 'h1', '{\"a\":1}', '2026-02-01T00:00:00.0000000Z');";
            await command.ExecuteNonQueryAsync();
        }

        var store = new SqliteStateStore(path, TimeProvider.System);
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
