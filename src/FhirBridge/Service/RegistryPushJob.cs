using FhirBridge.Cli.Push;
using Microsoft.Extensions.Logging;
using Quartz;

namespace FhirBridge.Cli.Service;

/// <summary>
/// Drains the outbox into the registry. Every source run triggers it; it never runs twice at once (in a cluster,
/// anywhere in it), because change sets of one subject must reach the registry in the order they were made.
/// </summary>
[DisallowConcurrentExecution]
public sealed class RegistryPushJob(RegistryPush push, TimeProvider time, ILogger<RegistryPushJob> logger) : IJob
{
    /// <inheritdoc />
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var (sent, dead, pending) = await push.PushPendingAsync(cancellationToken);
        logger.LogInformation("Registry push on instance {Instance}: {Sent} change sets sent, {Dead} dead-lettered, {Pending} pending, in {Seconds:0.000} s",
            context.Scheduler.SchedulerInstanceId, sent, dead, pending, time.GetElapsedTime(started).TotalSeconds);
    }
}
