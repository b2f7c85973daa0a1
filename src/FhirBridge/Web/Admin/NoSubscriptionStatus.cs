namespace FhirBridge.Cli.Web.Admin;

/// <summary>The default <see cref="ISubscriptionStatusProvider"/>: no source has subscriptions.</summary>
public sealed class NoSubscriptionStatus : ISubscriptionStatusProvider
{
    /// <summary>What the overview shows.</summary>
    public const string NotConfigured = "not configured";

    /// <inheritdoc />
    public Task<string> GetStatusAsync(string source, CancellationToken cancellationToken) => Task.FromResult(NotConfigured);
}
