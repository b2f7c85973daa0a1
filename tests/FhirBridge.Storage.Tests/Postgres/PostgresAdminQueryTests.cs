namespace FhirBridge.Tests.Storage.Postgres;

/// <summary><see cref="AdminQueryTests"/> on PostgreSQL, in a throw-away database (skipped without a server).</summary>
public sealed class PostgresAdminQueryTests : AdminQueryTests, IRunsOnPostgres
{
    /// <inheritdoc />
    protected override StoreDatabase CreateDatabase() => new PostgresStoreDatabase();
}
