using FhirBridge.Storage.Sqlite;

namespace FhirBridge.Fhir.Tests.Support;

/// <summary>A migrated SQLite state store in a throw-away folder, for pull tests that need no FHIR server harness.</summary>
internal sealed class ThrowAwayStore : IDisposable
{
    private ThrowAwayStore(string folder, SqliteStateStore store)
    {
        Folder = folder;
        Store = store;
    }

    /// <summary>The folder, for input files beside the database.</summary>
    public string Folder { get; }

    public SqliteStateStore Store { get; }

    public static async Task<ThrowAwayStore> CreateAsync(string prefix)
    {
        var folder = Directory.CreateTempSubdirectory(prefix).FullName;
        var store = new SqliteStateStore(Path.Combine(folder, "state.db"));
        await store.MigrateAsync(default);
        return new ThrowAwayStore(folder, store);
    }

    public void Dispose()
    {
        // Pooled connections keep the file open.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(Folder, recursive: true);
    }
}
