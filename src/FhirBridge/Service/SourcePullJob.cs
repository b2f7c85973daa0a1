using FhirBridge.Cli.Push;
using Quartz;

namespace FhirBridge.Cli.Service;

/// <summary>
/// The scheduled run of one source: a thin Quartz job over <see cref="SourceRunner"/> and <see cref="RegistryPush"/>.
/// One job per source, never running twice at once; a notification triggers the same job.
/// </summary>
[DisallowConcurrentExecution]
public sealed class SourcePullJob(SourceRunner runner, RegistryPush push, IReadOnlyList<SourceContext> sources) : IJob
{
    /// <summary>The job-data key naming the source.</summary>
    public const string SourceKey = "source";

    /// <inheritdoc />
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var name = context.MergedJobDataMap.GetString(SourceKey);
        var source = sources.Single(s => s.Name == name);
        await runner.RunAsync(source, null, cancellationToken);
        await push.PushPendingAsync(cancellationToken);
    }
}
