using FhirBridge.Cli.Service;
using Microsoft.Extensions.Logging;
using Quartz;

namespace FhirBridge.Cli.Web.Notifications;

/// <summary>
/// Turns notifications into pulls, coalescing bursts: while a notification's pull of a source is queued (its trigger
/// has not fired yet), more notifications add nothing; once it has fired, the next notification queues one more (the
/// source's job never runs twice at once, so it waits for the running one). A burst of any size thus costs at most one
/// pull beyond the one running. The queued state is the scheduler's own (the trigger's state), not this process's, so
/// it holds in a cluster too, where the pull may run on another instance than the one notified.
/// </summary>
public sealed class NotificationPulls(ISchedulerFactory schedulers, ILogger<NotificationPulls> logger) : IDisposable
{
    /// <summary>The job-data key set on a notification's trigger.</summary>
    public const string NotificationKey = "notification";

    // Looking for a queued trigger and queuing one are two steps: one request at a time in this process makes them
    // one (instances of a cluster can still race, which costs at most one extra pull each).
    private readonly SemaphoreSlim _one = new(1, 1);

    /// <summary>Queues a pull of the source unless one is queued already; true when this call queued it.</summary>
    public async Task<bool> RequestAsync(string source, string why, CancellationToken cancellationToken)
    {
        await _one.WaitAsync(cancellationToken);
        try
        {
            return await QueueUnlessQueuedAsync(source, why, cancellationToken);
        }
        finally
        {
            _one.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _one.Dispose();

    private async Task<bool> QueueUnlessQueuedAsync(string source, string why, CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var job = Scheduling.SourceJob(source);
        foreach (var trigger in await scheduler.GetTriggersOfJob(job, cancellationToken))
        {
            // Normal = waiting for its time, Blocked = waiting for the running pull to end: either way, not fired yet.
            if (trigger.Key.Group == Scheduling.NotificationsGroup
                && await scheduler.GetTriggerState(trigger.Key, cancellationToken) is TriggerState.Normal or TriggerState.Blocked)
            {
                logger.LogDebug("Notification for {Source} coalesced: a pull is queued already", source);
                return false;
            }
        }

        await scheduler.ScheduleJob(
            TriggerBuilder.Create().ForJob(job).WithIdentity(Guid.NewGuid().ToString("n"), Scheduling.NotificationsGroup)
                .UsingJobData(NotificationKey, "true").StartNow().Build(),
            default, cancellationToken);
        logger.LogInformation("Notification for {Source} ({Why}): pull queued", source, why);
        return true;
    }
}
