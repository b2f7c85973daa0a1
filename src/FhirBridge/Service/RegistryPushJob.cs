using FhirBridge.Cli.Push;
using Quartz;

namespace FhirBridge.Cli.Service;

/// <summary>
/// Drains the outbox into the registry. Every source run triggers it; it never runs twice at once (in a cluster,
/// anywhere in it), because change sets of one subject must reach the registry in the order they were made.
/// </summary>
[DisallowConcurrentExecution]
public sealed class RegistryPushJob(RegistryPush push) : IJob
{
    /// <inheritdoc />
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken) =>
        await push.PushPendingAsync(cancellationToken);
}
