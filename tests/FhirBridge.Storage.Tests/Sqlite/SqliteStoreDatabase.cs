using FhirBridge.Storage;
using FhirBridge.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace FhirBridge.Tests.Storage.Sqlite;

/// <summary>A SQLite state database in a throw-away folder.</summary>
public sealed class SqliteStoreDatabase : StoreDatabase
{
    /// <summary>The throw-away folder, for tests that build other databases beside it.</summary>
    public string Folder { get; } = Directory.CreateTempSubdirectory("fhirbridge-store-").FullName;

    /// <summary>The database file.</summary>
    public string DatabasePath => Path.Combine(Folder, "state.db");

    /// <inheritdoc />
    public override Task CreateAsync() => Task.CompletedTask;

    /// <inheritdoc />
    public override IStateStore Open(TimeProvider clock) => new SqliteStateStore(DatabasePath, clock);

    /// <inheritdoc />
    public override ValueTask DisposeAsync()
    {
        // Pooled connections keep the file open.
        SqliteConnection.ClearAllPools();
        Directory.Delete(Folder, recursive: true);
        return ValueTask.CompletedTask;
    }
}
