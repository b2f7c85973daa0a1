using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Quartz;

namespace FhirBridge.Cli.Web.Notifications;

/// <summary>
/// Turns notifications into pulls, coalescing bursts: while a notification-triggered pull of a source is queued (not
/// started yet), more notifications add nothing; once it has started, the next notification queues one more (the
/// source's job never runs twice at once, so it waits for the running one). A burst of any size thus costs at most one
/// pull beyond the one running.
/// </summary>
public sealed class NotificationPulls(ISchedulerFactory schedulers, ILogger<NotificationPulls> logger)
{
    /// <summary>The job-data key set on a notification's trigger.</summary>
    public const string NotificationKey = "notification";

    private readonly ConcurrentDictionary<string, int> _queued = new(StringComparer.Ordinal);

    /// <summary>Queues a pull of the source unless one is queued already; true when this call queued it.</summary>
    public async Task<bool> RequestAsync(string source, string why, CancellationToken cancellationToken)
    {
        if (!_queued.TryAdd(source, 1))
        {
            logger.LogDebug("Notification for {Source} coalesced: a pull is queued already", source);
            return false;
        }

        try
        {
            var scheduler = await schedulers.GetScheduler(cancellationToken);
            await scheduler.TriggerJob(new JobKey(source, "sources"), new JobDataMap { [NotificationKey] = "true" }, cancellationToken);
            logger.LogInformation("Notification for {Source} ({Why}): pull queued", source, why);
            return true;
        }
        catch
        {
            _queued.TryRemove(source, out _);
            throw;
        }
    }

    /// <summary>Called by the job when a notification-triggered pull starts: later notifications queue a new one.</summary>
    public void Started(string source) => _queued.TryRemove(source, out _);
}
