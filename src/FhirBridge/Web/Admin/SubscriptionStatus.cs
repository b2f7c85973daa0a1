using FhirBridge.Cli.Service;

namespace FhirBridge.Cli.Web.Admin;

/// <summary>The overview's subscription status of a source: what the service's last keep-alive found on its server.</summary>
public sealed class SubscriptionStatus(SourceSubscriptions subscriptions) : ISubscriptionStatusProvider
{
    /// <inheritdoc />
    public Task<string> GetStatusAsync(string source, CancellationToken cancellationToken) => Task.FromResult(subscriptions.LastStatus(source));
}
