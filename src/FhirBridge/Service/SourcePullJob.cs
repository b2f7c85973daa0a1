using FhirBridge.Cli.Web.Notifications;
using Microsoft.Extensions.Logging;
using Quartz;

namespace FhirBridge.Cli.Service;

/// <summary>
/// The scheduled run of one source: a thin Quartz job over <see cref="SourceRunner"/>, which then hands the outbox to
/// <see cref="RegistryPushJob"/>. One job per source, never running twice at once (in a cluster, anywhere in it); a
/// notification triggers the same job. A scheduled run (the start trigger included) first keeps the source's
/// Subscriptions alive; a notification's run goes straight to the pull.
/// </summary>
[DisallowConcurrentExecution]
public sealed class SourcePullJob(
    SourceRunner runner, IReadOnlyList<SourceContext> sources, SourceSubscriptions subscriptions, TimeProvider time, ILogger<SourcePullJob> logger) : IJob
{
    /// <summary>The job-data key naming the source.</summary>
    public const string SourceKey = "source";

    /// <inheritdoc />
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var name = context.MergedJobDataMap.GetString(SourceKey);
        if (sources.SingleOrDefault(s => s.Name == name) is not { } source)
        {
            // A clustered schedule can hold the job of a source that this instance's settings no longer name (the
            // instances disagree, or the source was removed): say so rather than fail the firing forever.
            logger.LogWarning("Scheduled run of source {Source} skipped: no source of that name in this instance's settings", name);
            return;
        }

        var started = time.GetTimestamp();
        logger.LogInformation("Run of source {Source} started on instance {Instance}", source.Name, context.Scheduler.SchedulerInstanceId);
        if (!context.MergedJobDataMap.ContainsKey(NotificationPulls.NotificationKey))
        {
            await subscriptions.KeepAliveAsync(source.Name, cancellationToken);
        }

        await runner.RunAsync(source, null, cancellationToken);
        // The run's own time, start-up excluded: what an operator compares between a backfill and an incremental run.
        logger.LogInformation("Run of source {Source} finished on instance {Instance} in {Seconds:0.000} s", source.Name, context.Scheduler.SchedulerInstanceId,
            time.GetElapsedTime(started).TotalSeconds);
        await context.Scheduler.TriggerJob(Scheduling.RegistryPushJobKey, cancellationToken);
    }
}
