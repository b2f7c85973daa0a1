using Npgsql;

namespace FhirBridge.Storage.Postgres;

/// <summary>Named locks (<see cref="IStateStore.TryAcquireLockAsync"/>).</summary>
public sealed partial class PostgresStateStore
{
    /// <inheritdoc />
    /// <remarks>
    /// A session-level <c>pg_try_advisory_lock</c>, keyed by a stable hash of the name, on a connection of its own that
    /// stays open until the lock is disposed; so it is exclusive across every instance using this database, and is
    /// released by the server if the holder dies. A holder that loses its connection loses the lock with it.
    /// </remarks>
    public async Task<IAsyncDisposable?> TryAcquireLockAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var key = StableKey("lock", name);
        var connection = await _lockSource.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = Command(connection, null, "SELECT pg_try_advisory_lock($1);", [Bigint(key)]);
            if (await command.ExecuteScalarAsync(cancellationToken) is true)
            {
                var held = new HeldLock(connection, key);
                connection = null;
                return held;
            }

            return null;
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }
    }

    /// <summary>A held advisory lock and the session holding it; disposing it more than once releases it once.</summary>
    private sealed class HeldLock(NpgsqlConnection connection, long key) : IAsyncDisposable
    {
        private int _released;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0)
            {
                return;
            }

            try
            {
                // Unlock before closing: the server ends a closed session a moment later, and until then another
                // instance asking for the lock would still be refused.
                await using var unlock = Command(connection, null, "SELECT pg_advisory_unlock($1);", [Bigint(key)]);
                await unlock.ExecuteNonQueryAsync();
            }
            catch (NpgsqlException)
            {
                // The session is gone, and the lock with it.
            }
            finally
            {
                await connection.DisposeAsync();
            }
        }
    }
}
