namespace FhirBridge.Cli.Web.Admin;

/// <summary>
/// What the overview shows as a source's subscription status. The subscriptions part registers its own; until then
/// <see cref="NoSubscriptionStatus"/> says "not configured".
/// </summary>
public interface ISubscriptionStatusProvider
{
    /// <summary>A short status line for a source (e.g. <c>active (3 of 3)</c>), with no patient data.</summary>
    Task<string> GetStatusAsync(string source, CancellationToken cancellationToken);
}
