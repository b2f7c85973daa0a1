using FhirBridge.Cli.Configuration;

namespace FhirBridge.Cli.Web.Admin;

/// <summary>
/// The subscription status a command outside the service can give: whether the settings enable subscriptions for
/// the source (the live status is the service's, or <c>fhirbridge subscriptions status</c> asks the server).
/// </summary>
public sealed class ConfiguredSubscriptionStatus(FhirBridgeOptions options) : ISubscriptionStatusProvider
{
    /// <inheritdoc />
    public Task<string> GetStatusAsync(string source, CancellationToken cancellationToken) =>
        Task.FromResult(options.Sources.Any(s => s.Name == source && s.Subscriptions.Enabled)
            ? "enabled (fhirbridge subscriptions status asks the server)"
            : "not configured");
}
