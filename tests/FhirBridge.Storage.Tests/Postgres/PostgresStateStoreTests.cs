namespace FhirBridge.Tests.Storage.Postgres;

/// <summary><see cref="StateStoreTests"/> on PostgreSQL, in a throw-away database (skipped without a server).</summary>
public sealed class PostgresStateStoreTests : StateStoreTests, IRunsOnPostgres
{
    /// <inheritdoc />
    protected override StoreDatabase CreateDatabase() => new PostgresStoreDatabase();
}
