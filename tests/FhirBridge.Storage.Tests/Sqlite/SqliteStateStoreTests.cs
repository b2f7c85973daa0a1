using FhirBridge.Reconcile;
using FhirBridge.Storage;
using FhirBridge.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace FhirBridge.Tests.Storage.Sqlite;

/// <summary>
/// <see cref="StateStoreTests"/> on SQLite, in a throw-away file; the registry JSON kept packed; and the migrations of
/// the projection to rows per patient, of the quarantine to fingerprints, and those that added projection versions,
/// the time to judge a patient again and the projection's origins; the hand-over's query plan.
/// </summary>
public sealed class SqliteStateStoreTests : StateStoreTests
{
    /// <inheritdoc />
    protected override StoreDatabase CreateDatabase() => new SqliteStoreDatabase();

    [Fact]
    public async Task Migrate_FromSchemaFive_KeepsTheProjectionAndLetsTwoPatientsHoldOneRecordKey()
    {
        var store = await MigratedFromOlderSchemaAsync("v5.db", [.. SqliteSchema.Migrations.Take(5)], OldProjectionRow);

        await AssertMigratedProjectionAsync(store);
    }

    [Fact]
    public async Task Migrate_FromBeforeQuarantineFingerprints_KeepsOldRowsWithTheirIdentity()
    {
        var before = MigrationsBeforeQuarantineFingerprint(SqliteSchema.Migrations);
        var store = await MigratedFromOlderSchemaAsync("before-fingerprints.db", before, OldQuarantineRows);

        await AssertMigratedQuarantineAsync(store);
    }

    [Fact]
    public async Task Migrate_FromTheSchemaBeforeProjectionVersions_GivesEveryProjectedPatientVersionZero()
    {
        // The schema just before the migration, wherever it stands in the list.
        var before = SqliteSchema.Migrations.ToList().FindIndex(m => m.Contains("CREATE TABLE projection_versions", StringComparison.Ordinal));
        var store = await MigratedFromOlderSchemaAsync("before-versions.db", [.. SqliteSchema.Migrations.Take(before)], OldProjectionRow);

        await AssertMigratedVersionsAsync(store);
    }

    [Fact]
    public async Task Migrate_FromTheSchemaBeforeJudgeAgainAt_JudgesAgainTheDetectionsThatDependedOnTheirAsOf()
    {
        var before = MigrationsBeforeJudgeAgainAt(SqliteSchema.Migrations);
        var store = await MigratedFromOlderSchemaAsync("before-judge-again.db", before, OldDetectionRows);

        await AssertMigratedDetectionsAsync(store);
    }

    [Fact]
    public async Task Migrate_FromTheSchemaBeforeOrigins_JudgesEveryProjectedPatientAgainAndDropsTheIndexOnRecordKeys()
    {
        var store = await MigratedFromOlderSchemaAsync("before-origins.db", MigrationsBeforeOrigins(SqliteSchema.Migrations), OldProjectionRowsWithoutOrigins);

        await AssertMigratedOriginsAsync(store);
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(((SqliteStoreDatabase)Database).Folder, "before-origins.db")}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'projection' ORDER BY name;";
        var indexes = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            indexes.Add(reader.GetString(0));
        }

        Assert.DoesNotContain("projection_record", indexes);
    }

    [Fact]
    public async Task HandOver_ToTheOriginsPatient_SeeksByPrimaryKeysAndScansNothing()
    {
        // The hand-over runs for every record a patient retracts, inside the commit: a scan of the projection there
        // once made a 7k backfill six times slower (docs/benchmarks.md).
        var store = Database.Open(TimeProvider.System);
        await store.MigrateAsync(default);
        await using var connection = new SqliteConnection($"Data Source={((SqliteStoreDatabase)Database).DatabasePath}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + SqliteStateStore.HandOverToOwner;
        foreach (var name in new[] { "$s", "$t", "$i", "$k" })
        {
            command.Parameters.AddWithValue(name, "x");
        }

        var plan = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            plan.Add(reader.GetString(3));
        }

        Assert.Contains(plan, step => step.StartsWith("SEARCH projection USING PRIMARY KEY", StringComparison.Ordinal) || step.StartsWith("SEARCH projection USING INDEX sqlite_autoindex_projection", StringComparison.Ordinal));
        Assert.Contains(plan, step => step.StartsWith("SEARCH resources USING INDEX sqlite_autoindex_resources", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, step => step.StartsWith("SCAN", StringComparison.Ordinal));
    }

    // A database beside the test's own at the schema the given migrations make, holding rows written in it, migrated.
    private async Task<SqliteStateStore> MigratedFromOlderSchemaAsync(string file, string[] migrations, string rows)
    {
        var path = Path.Combine(((SqliteStoreDatabase)Database).Folder, file);
        await using (var connection = new SqliteConnection($"Data Source={path}"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = $"CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES ({migrations.Length});"
                + string.Concat(migrations)
                + rows;
            await command.ExecuteNonQueryAsync();
        }

        var store = new SqliteStateStore(path, TimeProvider.System);
        await store.MigrateAsync(default);
        return store;
    }

    [Fact]
    public async Task CommitRecompute_RegistryJson_IsStoredPackedAndReadsBackExactly_BesideRowsAnOlderBuildWroteAsText()
    {
        // Repetitive like a registry Bundle, with text outside ASCII (a mapped display may carry any script).
        var json = "{\"resourceType\":\"Bundle\",\"entry\":[" + string.Join(",", Enumerable.Range(0, 50).Select(i =>
            "{\"fullUrl\":\"urn:uuid:" + i + "\",\"resource\":{\"resourceType\":\"Observation\",\"code\":{\"text\":\"Wirbelsäule – 脊柱 🦴 " + i + "\"}}}")) + "]}";
        var store = Database.Open(TimeProvider.System);
        await store.CommitRecomputeAsync("h", "p1", null, [new ProjectedRecord("Observation|x|a", "s1", "h1", json, null)], [new QueuedChangeSet("s1", json, null)], [], default);

        Assert.Equal(json, Assert.Single(await store.GetProjectionAsync("h", "p1", default)).Json);
        Assert.Equal(json, Assert.Single(await store.GetPendingOutboxAsync(10, default)).Bundle);

        var path = ((SqliteStoreDatabase)Database).DatabasePath;
        await using (var connection = new SqliteConnection($"Data Source={path}"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT typeof(json), length(json) FROM projection UNION ALL SELECT typeof(bundle), length(bundle) FROM outbox;";
            await using var reader = await command.ExecuteReaderAsync();
            var utf8Length = System.Text.Encoding.UTF8.GetByteCount(json);
            for (var row = 0; row < 2; row++)
            {
                Assert.True(await reader.ReadAsync());
                Assert.Equal("blob", reader.GetString(0));
                Assert.InRange(reader.GetInt64(1), 1, utf8Length / 4);
            }
        }

        // Rows a build before the packed format wrote are TEXT, and are read as they are.
        await using (var connection = new SqliteConnection($"Data Source={path}"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO outbox (source, patient, subject_key, bundle) VALUES ('h', 'p2', 's2', '{\"old\":\"é\"}');"
                + "INSERT INTO projection (source, patient, record_key, subject_key, hash, json) VALUES ('h', 'p2', 'ResearchSubject|x|b', 's2', 'h2', '{\"old\":\"é\"}');";
            await command.ExecuteNonQueryAsync();
        }

        Assert.Equal([json, "{\"old\":\"é\"}"], (await store.GetPendingOutboxAsync(10, default)).Select(i => i.Bundle));
        Assert.Equal("{\"old\":\"é\"}", Assert.Single(await store.GetProjectionAsync("h", "p2", default)).Json);
    }

    [Fact]
    public void PackedText_BytesThatAreNotPacked_AreRefusedNotMisread() =>
        Assert.Throws<InvalidDataException>(() => PackedText.Unpack("{\"not\":\"packed\"}"u8.ToArray()));
}
