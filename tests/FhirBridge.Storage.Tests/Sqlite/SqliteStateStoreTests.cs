using FhirBridge.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace FhirBridge.Tests.Storage.Sqlite;

/// <summary><see cref="StateStoreTests"/> on SQLite, in a throw-away file; and the migrations of the projection to rows per patient of the quarantine to fingerprints, and the one that added projection versions.</summary>
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
                + OldProjectionRow;
            await command.ExecuteNonQueryAsync();
        }

        var store = new SqliteStateStore(path, TimeProvider.System);
        await store.MigrateAsync(default);

        await AssertMigratedProjectionAsync(store);
    }

    [Fact]
    public async Task Migrate_FromBeforeQuarantineFingerprints_KeepsOldRowsWithTheirIdentity()
    {
        var before = MigrationsBeforeQuarantineFingerprint(SqliteSchema.Migrations);
        var path = Path.Combine(((SqliteStoreDatabase)Database).Folder, "before-fingerprints.db");
        await using (var connection = new SqliteConnection($"Data Source={path}"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = $"CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES ({before.Length});"
                + string.Concat(before)
                + OldQuarantineRows;
            await command.ExecuteNonQueryAsync();
        }

        var store = new SqliteStateStore(path, TimeProvider.System);
        await store.MigrateAsync(default);

        await AssertMigratedQuarantineAsync(store);
    }

    [Fact]
    public async Task Migrate_FromTheSchemaBeforeProjectionVersions_GivesEveryProjectedPatientVersionZero()
    {
        // The schema just before the migration, wherever it stands in the list.
        var before = SqliteSchema.Migrations.ToList().FindIndex(m => m.Contains("CREATE TABLE projection_versions", StringComparison.Ordinal));
        var path = Path.Combine(((SqliteStoreDatabase)Database).Folder, "before-versions.db");
        await using (var connection = new SqliteConnection($"Data Source={path}"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = $"CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES ({before});"
                + string.Concat(SqliteSchema.Migrations.Take(before))
                + OldProjectionRow;
            await command.ExecuteNonQueryAsync();
        }

        var store = new SqliteStateStore(path, TimeProvider.System);
        await store.MigrateAsync(default);

        await AssertMigratedVersionsAsync(store);
    }
}
