namespace FhirBridge.Tests.Storage.Sqlite;

/// <summary><see cref="StateStoreTests"/> on SQLite, in a throw-away file.</summary>
public sealed class SqliteStateStoreTests : StateStoreTests
{
    /// <inheritdoc />
    protected override StoreDatabase CreateDatabase() => new SqliteStoreDatabase();
}
