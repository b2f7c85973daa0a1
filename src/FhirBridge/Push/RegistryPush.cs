using FhirBridge.Cli.Telemetry;
using FhirBridge.Fhir.Push;
using FhirBridge.Storage;
using Microsoft.Extensions.Logging;

namespace FhirBridge.Cli.Push;

/// <summary>
/// The PUSH stage: sends pending change sets in order; a change set leaves the outbox only when the sink accepted it,
/// a permanent refusal moves it to the dead letters with the sink's own message, a transient one is retried a few times
/// (<see cref="RegistryPushRetry"/>) and then stays pending, and the push stops there until the next cycle.
/// </summary>
public sealed class RegistryPush : IDisposable
{
    // Jobs of several sources may finish together: one push at a time in this process, so no change set is read as
    // pending and sent twice concurrently (several processes are the clustering issue's concern).
    /// <summary>The store lock held while pushing.</summary>
    public const string PushLock = "registry-push";

    // How many change sets are checked ahead of the one being sent: enough to keep every core busy while the sender
    // writes and marks, few enough that little is checked in vain when a transient failure stops the push.
    private static readonly int CheckWindow = 4 * Environment.ProcessorCount;

    // How many accepted change sets are marked sent in one transaction: at most this many are sent again after a crash.
    private const int MarkBatch = 50;

    private readonly SemaphoreSlim _one = new(1, 1);
    private readonly IStateStore _store;
    private readonly IRegistrySink _sink;
    private readonly ILogger<RegistryPush> _logger;
    private readonly RegistryPushRetry _retry;
    private readonly TimeProvider _clock;
    private readonly Random _jitter;
    private readonly ChangeSetValidation? _validation;
    private readonly FhirBridgeMetrics? _metrics;

    /// <summary>Creates the stage.</summary>
    /// <param name="store">The outbox.</param>
    /// <param name="sink">Where change sets go.</param>
    /// <param name="logger">Failures and retries.</param>
    /// <param name="retry">Retries within a push; default <see cref="RegistryPushRetry"/>'s defaults.</param>
    /// <param name="clock">Waits between retries; default the system clock.</param>
    /// <param name="validation">Checks each change set against the profiles before it is sent; none when null.</param>
    /// <param name="metrics">Push latency and failures; none when null.</param>
    public RegistryPush(
        IStateStore store,
        IRegistrySink sink,
        ILogger<RegistryPush> logger,
        RegistryPushRetry? retry = null,
        TimeProvider? clock = null,
        ChangeSetValidation? validation = null,
        FhirBridgeMetrics? metrics = null)
    {
        _metrics = metrics;
        _validation = validation;
        _store = store;
        _sink = sink;
        _logger = logger;
        _retry = retry ?? new RegistryPushRetry();
        _clock = clock ?? TimeProvider.System;
        _jitter = _retry.Seed is { } seed ? new Random(seed) : new Random();
    }

    /// <summary>The sink's description.</summary>
    public string Destination => _sink.Describe();

    /// <summary>Sends everything pending; returns how many were sent and dead-lettered, and how many are left pending.</summary>
    public async Task<(int Sent, int Dead, int Pending)> PushPendingAsync(CancellationToken cancellationToken)
    {
        await _one.WaitAsync(cancellationToken);
        try
        {
            // Change sets of one subject must reach the registry in the order they were made, so one push at a time
            // across every instance sharing the store (a clustered service, or a `run --once` beside it) as well as in
            // this process. The holder drains everything pending, including what was queued while this one waited.
            await using var pushing = await AcquirePushLockAsync(cancellationToken);
            using var span = FhirBridgeTelemetry.Spans.StartActivity("fhirbridge.push");
            var (sent, dead) = await PushAsync(pushing, cancellationToken);
            var counts = await _store.GetOutboxCountsAsync(cancellationToken);
            span?.SetTag("fhirbridge.sent", sent);
            span?.SetTag("fhirbridge.dead", dead);
            span?.SetTag("fhirbridge.pending", counts.GetValueOrDefault(OutboxState.Pending));
            return (sent, dead, counts.GetValueOrDefault(OutboxState.Pending));
        }
        finally
        {
            _one.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _one.Dispose();

    private async Task<IStoreLock> AcquirePushLockAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (await _store.TryAcquireLockAsync(PushLock, cancellationToken) is { } held)
            {
                return held;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), _clock, cancellationToken);
        }
    }

    private async Task<(int Sent, int Dead)> PushAsync(IStoreLock pushing, CancellationToken cancellationToken)
    {
        // Accepted change sets are marked sent a few at a time, in one transaction each time: marking them one by one
        // cost as much as writing them. A change set accepted but not yet marked when the process dies is sent again
        // by the next push, which the registry takes as a no-op (conditional upserts on identifiers, Provenance PUT
        // by an id derived from the change set), in the same order as before.
        var accepted = new List<long>(MarkBatch);
        try
        {
            return await PushAsync(pushing, accepted, cancellationToken);
        }
        finally
        {
            // Also when the push stopped on a failure or was cancelled: what the registry accepted is marked.
            await _store.MarkOutboxSentAsync(accepted, CancellationToken.None);
        }
    }

    private async Task<(int Sent, int Dead)> PushAsync(IStoreLock pushing, List<long> accepted, CancellationToken cancellationToken)
    {
        int sent = 0, dead = 0;
        var seen = new HashSet<long>();
        while (true)
        {
            // The marks of the last batch first: the next batch is read from what is still pending.
            await MarkAcceptedAsync(accepted, cancellationToken);
            var batch = (await _store.GetPendingOutboxAsync(100, cancellationToken)).Where(i => seen.Add(i.Id)).ToList();
            if (batch.Count == 0)
            {
                return (sent, dead);
            }

            // A change set found conforming by this same check when it was made (its verdict is this check's
            // fingerprint) is not checked again. The others get the profile check, a pure function of the Bundle text
            // and the costliest step: it runs on every core, a bounded window ahead of the sender (CheckAhead), while
            // change sets are still sent strictly in order below.
            await using var checks = _validation is { } validation && !batch.All(validation.Vouches)
                ? new CheckAhead(validation, [.. batch.Select(b => validation.Vouches(b) ? null : b.Bundle)], Environment.ProcessorCount, CheckWindow, cancellationToken)
                : null;
            for (var i = 0; i < batch.Count; i++)
            {
                var violations = checks is null ? null : await checks.ResultAsync(i, cancellationToken);
                var item = batch[i];

                // The lock can be lost without this process letting it go (IStoreLock.IsHeldAsync), and another
                // instance may be pushing by now: stop before the next change set, which stays pending, in order.
                if (!await pushing.IsHeldAsync(cancellationToken))
                {
                    _logger.LogWarning("Registry push lost its lock before outbox item {OutboxId}; stopping, and the rest stays pending for the holder", item.Id);
                    return (sent, dead);
                }

                switch (await SendWithRetriesAsync(item, violations, cancellationToken))
                {
                    case Outcome.Sent:
                        sent++;
                        accepted.Add(item.Id);
                        if (accepted.Count >= MarkBatch)
                        {
                            await MarkAcceptedAsync(accepted, cancellationToken);
                        }

                        break;
                    case Outcome.Dead:
                        dead++;
                        break;
                    default:
                        // Every change set carries its subject's whole state, and a later one for the same subject may
                        // follow: sending that one now and this one later would put the older state back in the
                        // registry. So the push stops here, in order, and the next cycle starts again with this one.
                        return (sent, dead);
                }
            }
        }
    }

    private async Task<Outcome> SendWithRetriesAsync(OutboxItem item, string? profileViolations, CancellationToken cancellationToken)
    {
        // A resource that fails its profile is never sent: the change set goes to the dead letters with every violation.
        if (profileViolations is { } violations)
        {
            await _store.MarkOutboxFailedAsync(item.Id, violations, dead: true, cancellationToken);
            _metrics?.Failed("push", item.Source);
            _logger.LogWarning("Change set {OutboxId} for source {Source} fails the registry profiles; moved to the dead letters: {Violations}", item.Id, item.Source, violations);
            return Outcome.Dead;
        }

        var waited = TimeSpan.Zero;
        for (var attempt = 1; ; attempt++)
        {
            var started = _clock.GetTimestamp();
            var failure = await _sink.SendAsync(item, cancellationToken);
            _metrics?.Pushed(_clock.GetElapsedTime(started), failure is null ? "sent" : failure.Permanent ? "dead" : "retry");
            if (failure is null)
            {
                return Outcome.Sent; // marked by the caller, with others
            }

            await _store.MarkOutboxFailedAsync(item.Id, failure.Message, failure.Permanent, cancellationToken);
            _metrics?.Failed("push", item.Source);
            if (failure.Permanent)
            {
                _logger.LogWarning("Change set {OutboxId} for source {Source} refused by the registry; moved to the dead letters: {Failure}", item.Id, item.Source, failure.Message);
                return Outcome.Dead;
            }

            var delay = attempt < _retry.MaxAttempts ? NextDelay(attempt, failure.RetryAfter, failure.Settle) : null;
            if (delay is not { } wait || waited + wait > _retry.MaxTotalDelay)
            {
                _logger.LogWarning("Change set {OutboxId} for source {Source} not accepted after {Attempts} attempt(s); it and the change sets after it stay pending for the next push: {Failure}",
                    item.Id, item.Source, attempt, failure.Message);
                return Outcome.Pending;
            }

            _logger.LogInformation("Change set {OutboxId} not accepted ({Failure}); attempt {Next} in {Delay} ms", item.Id, failure.Message, attempt + 1, (long)wait.TotalMilliseconds);
            await Task.Delay(wait, _clock, cancellationToken);
            waited += wait;
        }
    }

    private async Task MarkAcceptedAsync(List<long> accepted, CancellationToken cancellationToken)
    {
        await _store.MarkOutboxSentAsync(accepted, cancellationToken);
        accepted.Clear();
    }

    /// <summary>
    /// The wait before attempt <paramref name="attempt"/> + 1: the exponential backoff with equal jitter (half fixed, half
    /// random), raised to the registry's <c>Retry-After</c> (null when that is longer than
    /// <see cref="RegistryPushRetry.MaxDelay"/>) and to the time a timed-out transaction is given to settle. That one
    /// is not capped by <see cref="RegistryPushRetry.MaxDelay"/>, which is about how long to wait for an answer: only by
    /// the push's total wait, <see cref="RegistryPushRetry.MaxTotalDelay"/>, beyond which the change set waits for
    /// the next push.
    /// </summary>
    private TimeSpan? NextDelay(int attempt, TimeSpan? retryAfter, TimeSpan? settle)
    {
        var exponential = _retry.BaseDelay * Math.Pow(2, Math.Min(attempt - 1, 30));
        var capped = exponential > _retry.MaxDelay ? _retry.MaxDelay : exponential;
        var wait = (capped / 2) + (capped / 2 * _jitter.NextDouble());
        if (retryAfter is { } asked)
        {
            if (asked > _retry.MaxDelay)
            {
                return null;
            }

            wait = asked > wait ? asked : wait;
        }

        return settle is { } least && least > wait ? least : wait;
    }

    private enum Outcome
    {
        Sent,
        Dead,
        Pending,
    }
}
