using FhirBridge.Storage;
using FhirBridge.Storage.Postgres;
using FhirBridge.TestServer.Postgres;
using Npgsql;

namespace FhirBridge.Tests.Storage.Postgres;

/// <summary>
/// <see cref="StateStoreTests"/> on PostgreSQL, in a throw-away database (skipped without a server); and the migrations
/// of the projection to rows per patient, of the quarantine to fingerprints, and those that added projection versions,
/// the time to judge a patient again and the projection's origins.
/// </summary>
public sealed class PostgresStateStoreTests : StateStoreTests, IRunsOnPostgres
{
    /// <inheritdoc />
    protected override StoreDatabase CreateDatabase() => new PostgresStoreDatabase();

    [StoreFact]
    public Task Migrate_FromSchemaThree_KeepsTheProjectionAndLetsTwoPatientsHoldOneRecordKey() =>
        AfterMigratingAsync([.. PostgresSchema.Migrations.Take(3)], OldProjectionRow, AssertMigratedProjectionAsync);

    [StoreFact]
    public Task Migrate_FromBeforeQuarantineFingerprints_KeepsOldRowsWithTheirIdentity() =>
        AfterMigratingAsync(MigrationsBeforeQuarantineFingerprint(PostgresSchema.Migrations), OldQuarantineRows, AssertMigratedQuarantineAsync);

    [StoreFact]
    public Task Migrate_FromTheSchemaBeforeJudgeAgainAt_JudgesAgainTheDetectionsThatDependedOnTheirAsOf() =>
        AfterMigratingAsync(MigrationsBeforeJudgeAgainAt(PostgresSchema.Migrations), OldDetectionRows, AssertMigratedDetectionsAsync);

    [StoreFact]
    public Task Migrate_FromTheSchemaBeforeProjectionVersions_GivesEveryProjectedPatientVersionZero()
    {
        // The schema just before the migration, wherever it stands in the list.
        var before = PostgresSchema.Migrations.ToList().FindIndex(m => m.Contains("CREATE TABLE projection_versions", StringComparison.Ordinal));
        return AfterMigratingAsync([.. PostgresSchema.Migrations.Take(before)], OldProjectionRow, AssertMigratedVersionsAsync);
    }

    [StoreFact]
    public Task Migrate_FromTheSchemaBeforeOrigins_JudgesEveryProjectedPatientAgainAndHandsOldRowsOverByKey() =>
        AfterMigratingAsync(MigrationsBeforeOrigins(PostgresSchema.Migrations), OldProjectionRowsWithoutOrigins, AssertMigratedOriginsAsync);

    // A throw-away database at the schema the given migrations make, holding rows written in it, migrated; then the
    // assertions on its store.
    private static async Task AfterMigratingAsync(string[] migrations, string rows, Func<IStateStore, Task> assert)
    {
        await using var database = await TestDatabase.CreateAsync();
        await WriteOlderSchemaAsync(database.ConnectionString, migrations, rows);
        await using var store = new PostgresStateStore(database.ConnectionString, TimeProvider.System);
        await store.MigrateAsync(default);

        await assert(store);
    }

    // A database at the schema the given migrations make, holding rows written in it.
    private static async Task WriteOlderSchemaAsync(string connectionString, string[] migrations, string rows)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"CREATE TABLE schema_version (version integer NOT NULL); INSERT INTO schema_version VALUES ({migrations.Length});"
            + string.Concat(migrations)
            + rows;
        await command.ExecuteNonQueryAsync();
    }

    [StoreFact]
    public async Task TryAcquireLock_SessionEndedByTheServer_IsNoLongerHeldAndAnotherInstanceTakesIt()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var store = new PostgresStateStore(database.ConnectionString, TimeProvider.System);
        await store.MigrateAsync(default);
        await using var other = new PostgresStateStore(database.ConnectionString, TimeProvider.System);
        var held = await store.TryAcquireLockAsync("push", default);
        Assert.NotNull(held);
        Assert.True(await held.IsHeldAsync(default));
        Assert.Null(await other.TryAcquireLockAsync("push", default));

        // The server ends the lock's session (a restart, idle_session_timeout, an admin), not the holder.
        await using (var admin = new NpgsqlConnection(database.ConnectionString))
        {
            await admin.OpenAsync();
            await using var terminate = new NpgsqlCommand(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database());",
                admin);
            Assert.Equal(true, await terminate.ExecuteScalarAsync());
        }

        Assert.False(await held.IsHeldAsync(default));
        var taken = await other.TryAcquireLockAsync("push", default);
        Assert.NotNull(taken);
        await taken.DisposeAsync();
        await held.DisposeAsync(); // releasing a lost lock is harmless
    }
}
