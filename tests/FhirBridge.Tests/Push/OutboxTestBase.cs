using FhirBridge.Storage.Sqlite;

namespace FhirBridge.Tests.Push;

/// <summary>
/// A fresh SQLite store (outbox and all) in a temporary folder for each test, removed afterwards: what every push test
/// starts from.
/// </summary>
public abstract class OutboxTestBase : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fhirbridge-push-").FullName;

    /// <summary>The test's store, migrated.</summary>
    protected SqliteStateStore Store { get; private set; } = null!;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        Store = new SqliteStateStore(Path.Combine(_dir, "state.db"));
        await Store.MigrateAsync(default);
    }

    /// <inheritdoc />
    public Task DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }
}
