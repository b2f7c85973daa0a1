namespace FhirBridge.Storage;

/// <summary>A named lock held on the store (<see cref="IStateStore.TryAcquireLockAsync"/>), released when disposed.</summary>
public interface IStoreLock : IAsyncDisposable
{
    /// <summary>
    /// Whether this holder still has the lock. A lock can be lost without being released: on PostgreSQL it lives as
    /// long as its own database session, which the server may end (a restart, <c>idle_session_timeout</c>, an admin)
    /// while the holder's other connections work on, and another instance may then take it. Work that relies on the
    /// lock asks before each step, so that at most the step in flight overlaps with a new holder.
    /// </summary>
    Task<bool> IsHeldAsync(CancellationToken cancellationToken);
}
