namespace FhirBridge.Cli.Push;

/// <summary>
/// The profile check of a batch of change sets, run ahead of the sender on every core: workers take the change sets in
/// order, at most <c>window</c> ahead of the one the sender is waiting for, and the sender reads each result in order
/// (<see cref="ResultAsync"/>). The check is a pure function of the Bundle text, so checking ahead changes no result;
/// what is sent, dead-lettered or left pending is still decided strictly in order by the sender. Disposing stops the
/// workers (the push stopped early) and waits for them, so no check outlives the push. A change set given as null was
/// found conforming when it was made (<see cref="ChangeSetValidation.Vouches"/>): its answer is null, without a check.
/// </summary>
internal sealed class CheckAhead : IAsyncDisposable
{
    private readonly ChangeSetValidation _validation;
    private readonly IReadOnlyList<string?> _bundles;
    private readonly TaskCompletionSource<string?>[] _results;
    private readonly SemaphoreSlim _window;
    private readonly CancellationTokenSource _stop;
    private readonly Task[] _workers;
    private int _next = -1;

    /// <summary>Starts checking.</summary>
    /// <param name="validation">The check.</param>
    /// <param name="bundles">The batch's Bundles, in sending order; null for one that needs no check.</param>
    /// <param name="workers">How many change sets are checked at once.</param>
    /// <param name="window">How many change sets may be checked (or being checked) beyond those the sender has read.</param>
    /// <param name="cancellationToken">Cancels the push.</param>
    public CheckAhead(ChangeSetValidation validation, IReadOnlyList<string?> bundles, int workers, int window, CancellationToken cancellationToken)
    {
        _validation = validation;
        _bundles = bundles;
        _results = new TaskCompletionSource<string?>[bundles.Count];
        for (var i = 0; i < _results.Length; i++)
        {
            _results[i] = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        _window = new SemaphoreSlim(Math.Max(1, window));
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _workers = new Task[Math.Clamp(workers, 1, Math.Max(1, bundles.Count))];
        for (var w = 0; w < _workers.Length; w++)
        {
            // Dedicated threads, blocking while the window is full: the thread pool stays free for the sender.
            _workers[w] = Task.Factory.StartNew(Work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
    }

    /// <summary>The check's answer for change set <paramref name="index"/> (null when it conforms); read each once, in order.</summary>
    public async Task<string?> ResultAsync(int index, CancellationToken cancellationToken)
    {
        var result = await _results[index].Task.WaitAsync(cancellationToken);
        _window.Release();
        return result;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await Task.WhenAll(_workers);
        }
        catch (OperationCanceledException)
        {
            // Stopped while waiting for room in the window: nothing was left half done.
        }

        _stop.Dispose();
        _window.Dispose();
    }

    private void Work()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            _window.Wait(token);
            var index = Interlocked.Increment(ref _next);
            if (index >= _bundles.Count)
            {
                return;
            }

            try
            {
                _results[index].SetResult(_bundles[index] is { } bundle ? _validation.Check(bundle) : null);
            }
            catch (Exception e)
            {
                // A check that throws is a bug; the sender rethrows it when it reaches this change set.
                _results[index].SetException(e);
            }
        }
    }
}
