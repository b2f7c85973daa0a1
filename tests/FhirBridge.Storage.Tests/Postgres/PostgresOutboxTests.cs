namespace FhirBridge.Tests.Storage.Postgres;

/// <summary><see cref="OutboxTests"/> on PostgreSQL, in a throw-away database (skipped without a server).</summary>
public sealed class PostgresOutboxTests : OutboxTests, IRunsOnPostgres
{
    /// <inheritdoc />
    protected override StoreDatabase CreateDatabase() => new PostgresStoreDatabase();
}
