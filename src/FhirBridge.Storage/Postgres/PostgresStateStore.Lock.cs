using Npgsql;

namespace FhirBridge.Storage.Postgres;

/// <summary>Named locks (<see cref="IStateStore.TryAcquireLockAsync"/>).</summary>
public sealed partial class PostgresStateStore
{
    /// <summary>
    /// Set on a lock's own session: the server probes an idle connection after 15 s, every 5 s, and ends the session
    /// after 3 unanswered probes, so the lock of a host that vanished (power, network) is free again after about 30 s
    /// instead of the operating system's default (often over two hours). A killed process closes its socket and its
    /// lock is freed at once either way. These are session settings any user may change; on a Unix socket they are
    /// ignored.
    /// </summary>
    internal const string LockSessionKeepalive = "SET tcp_keepalives_idle = 15; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 3;";

    /// <inheritdoc />
    /// <remarks>
    /// A session-level <c>pg_try_advisory_lock</c>, keyed by a stable hash of the name, on a connection of its own that
    /// stays open until the lock is disposed; so it is exclusive across every instance using this database, and is
    /// released by the server if the holder dies. A holder that loses its connection loses the lock with it.
    /// </remarks>
    public async Task<IStoreLock?> TryAcquireLockAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var key = StableKey("lock", name);
        var connection = await _lockSource.OpenConnectionAsync(cancellationToken);
        try
        {
            try
            {
                await using var keepalive = new NpgsqlCommand(LockSessionKeepalive, connection);
                await keepalive.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (PostgresException)
            {
                // A platform without one of these settings (Windows has no keepalive count): the lock still works, and
                // is freed when the operating system gives up on the connection.
            }

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
    private sealed class HeldLock(NpgsqlConnection connection, long key) : IStoreLock
    {
        private int _released;

        // A session-level advisory lock is held exactly as long as its session lives (it is released only by an unlock,
        // which only DisposeAsync sends): so the lock is held while a statement still runs on its connection.
        public async Task<bool> IsHeldAsync(CancellationToken cancellationToken)
        {
            if (Volatile.Read(ref _released) != 0)
            {
                return false;
            }

            try
            {
                await using var probe = Command(connection, null, "SELECT 1;", []);
                await probe.ExecuteScalarAsync(cancellationToken);
                return true;
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                return false; // the session is gone, and the lock with it
            }
        }

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
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                // The session is gone, and the lock with it (a broken connection is also "not open").
            }
            finally
            {
                await connection.DisposeAsync();
            }
        }
    }
}
