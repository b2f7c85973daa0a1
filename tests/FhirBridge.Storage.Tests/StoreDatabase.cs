using FhirBridge.Storage;

namespace FhirBridge.Tests.Storage;

/// <summary>An empty database for one test class instance, the stores opened over it, and its removal afterwards.</summary>
public abstract class StoreDatabase : IAsyncDisposable
{
    /// <summary>Makes the empty database.</summary>
    public abstract Task CreateAsync();

    /// <summary>A new store object over the database, not migrated; several may be open at once, as several instances would be.</summary>
    public abstract IStateStore Open(TimeProvider clock);

    /// <summary>Removes the database.</summary>
    public abstract ValueTask DisposeAsync();
}
