using FhirBridge.Storage;
using FhirBridge.Storage.Postgres;
using FhirBridge.TestServer.Postgres;

namespace FhirBridge.Tests.Storage.Postgres;

/// <summary>A throw-away PostgreSQL database (<see cref="TestDatabase"/>).</summary>
public sealed class PostgresStoreDatabase : StoreDatabase
{
    private readonly List<PostgresStateStore> _stores = [];
    private TestDatabase? _database;

    /// <inheritdoc />
    public override async Task CreateAsync() => _database = await TestDatabase.CreateAsync();

    /// <inheritdoc />
    public override IStateStore Open(TimeProvider clock)
    {
        var store = new PostgresStateStore(_database!.ConnectionString, clock);
        _stores.Add(store);
        return store;
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
