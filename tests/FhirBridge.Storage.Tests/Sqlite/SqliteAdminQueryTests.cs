namespace FhirBridge.Tests.Storage.Sqlite;

/// <summary><see cref="AdminQueryTests"/> on SQLite, in a throw-away file.</summary>
public sealed class SqliteAdminQueryTests : AdminQueryTests
{
    /// <inheritdoc />
    protected override StoreDatabase CreateDatabase() => new SqliteStoreDatabase();
}
