using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace FhirBridge.Storage.Sqlite;

/// <summary>Named locks (<see cref="IStateStore.TryAcquireLockAsync"/>).</summary>
public sealed partial class SqliteStateStore
{
    // One semaphore per database file and lock name, shared by every store object of this process over that file.
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Locks = new(StringComparer.Ordinal);

    /// <inheritdoc />
    /// <remarks>
    /// Exclusive within this process only: a SQLite state database belongs to one FhirBridge instance by design (a
    /// cluster uses PostgreSQL), so there is no other process to exclude.
    /// </remarks>
    public Task<IStoreLock?> TryAcquireLockAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var database = Path.GetFullPath(new SqliteConnectionStringBuilder(_connectionString).DataSource);
        var semaphore = Locks.GetOrAdd(database + "\n" + name, _ => new SemaphoreSlim(1, 1));
        return Task.FromResult<IStoreLock?>(semaphore.Wait(0, cancellationToken) ? new HeldLock(semaphore) : null);
    }

    /// <summary>A held lock; disposing it more than once releases it once.</summary>
    private sealed class HeldLock(SemaphoreSlim semaphore) : IStoreLock
    {
        private int _released;

        // Within one process nothing can take it away: it is held until released.
        public Task<bool> IsHeldAsync(CancellationToken cancellationToken) => Task.FromResult(Volatile.Read(ref _released) == 0);

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                semaphore.Release();
            }

            return ValueTask.CompletedTask;
        }
    }
}
