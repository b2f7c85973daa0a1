namespace FhirBridge.Cli.Push;

/// <summary>
/// The push of a one-off run (<c>run --once</c>), started while the sources are still being recomputed: each batch of
/// patients commits its change sets to the outbox, and this sends them while the next batches are computed, as the
/// service's push job does when another source's run is still going. <see cref="CompleteAsync"/> then pushes whatever
/// is left, once every source is done.
/// </summary>
/// <remarks>
/// Nothing about what is sent changes: one push at a time (the push lock), strictly in outbox order, each change set
/// checked before it goes. When two pushes in a row send nothing while change sets are pending (the registry refused
/// or is away), no more are tried alongside: the final push tries again with its retries, after the sources.
/// </remarks>
public sealed class PushAlongside
{
    private readonly RegistryPush _push;
    private readonly TimeProvider _clock;
    private readonly TimeSpan _idle;
    private readonly TaskCompletionSource _sourcesDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _pushing;
    private int _sent;
    private int _dead;

    /// <summary>Starts pushing.</summary>
    /// <param name="push">The PUSH stage.</param>
    /// <param name="clock">Waits between pushes.</param>
    /// <param name="idle">How long to wait after a push that found nothing more to send, before looking again.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    public PushAlongside(RegistryPush push, TimeProvider clock, TimeSpan idle, CancellationToken cancellationToken)
    {
        _push = push;
        _clock = clock;
        _idle = idle;
        _pushing = Task.Run(() => PushWhileSourcesRunAsync(cancellationToken), CancellationToken.None);
    }

    /// <summary>Once every source is done: waits for the push alongside, pushes what is left, and gives the totals.</summary>
    public async Task<(int Sent, int Dead, int Pending)> CompleteAsync(CancellationToken cancellationToken)
    {
        _sourcesDone.TrySetResult();
        await _pushing;

        var (sent, dead, pending) = await _push.PushPendingAsync(cancellationToken);
        return (_sent + sent, _dead + dead, pending);
    }

    private async Task PushWhileSourcesRunAsync(CancellationToken cancellationToken)
    {
        var stuck = 0;
        while (!_sourcesDone.Task.IsCompleted)
        {
            var (sent, dead, pending) = await _push.PushPendingAsync(cancellationToken);
            _sent += sent;
            _dead += dead;

            // Nothing moved yet something is pending: either the registry did not take the first change set, or a
            // batch was committed just after this push found nothing to send. A second push at once tells which;
            // if it moves nothing either, the registry is refusing, and the final push tries again.
            if (sent == 0 && dead == 0 && pending > 0)
            {
                if (++stuck == 2)
                {
                    return;
                }

                continue;
            }

            stuck = 0;

            // Look again shortly, or at once when the sources are done (the final push follows).
            await Task.WhenAny(Task.Delay(_idle, _clock, cancellationToken), _sourcesDone.Task);
        }
    }
}
