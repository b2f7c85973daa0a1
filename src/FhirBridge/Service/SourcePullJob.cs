using FhirBridge.Cli.Push;
using FhirBridge.Cli.Web.Notifications;
using Quartz;

namespace FhirBridge.Cli.Service;

/// <summary>
/// The scheduled run of one source: a thin Quartz job over <see cref="SourceRunner"/> and <see cref="RegistryPush"/>.
/// One job per source, never running twice at once; a notification triggers the same job. A scheduled run (the start
/// trigger included) first keeps the source's Subscriptions alive; a notification's run goes straight to the pull.
/// </summary>
[DisallowConcurrentExecution]
public sealed class SourcePullJob(
    SourceRunner runner, RegistryPush push, IReadOnlyList<SourceContext> sources, SourceSubscriptions subscriptions, NotificationPulls notifications) : IJob
{
    /// <summary>The job-data key naming the source.</summary>
    public const string SourceKey = "source";

    /// <inheritdoc />
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var name = context.MergedJobDataMap.GetString(SourceKey);
        var source = sources.Single(s => s.Name == name);
        if (context.MergedJobDataMap.ContainsKey(NotificationPulls.NotificationKey))
        {
            notifications.Started(source.Name);
        }
        else
        {
            await subscriptions.KeepAliveAsync(source.Name, cancellationToken);
        }

        await runner.RunAsync(source, null, cancellationToken);
        await push.PushPendingAsync(cancellationToken);
    }
}
