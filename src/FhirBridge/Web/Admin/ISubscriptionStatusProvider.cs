namespace FhirBridge.Cli.Web.Admin;

/// <summary>
/// What the overview shows as a source's subscription status: in the service <see cref="SubscriptionStatus"/> (the last
/// keep-alive's findings), in a command <see cref="ConfiguredSubscriptionStatus"/> (what the settings say).
/// </summary>
public interface ISubscriptionStatusProvider
{
    /// <summary>A short status line for a source (e.g. <c>active (3 of 3)</c>), with no patient data.</summary>
    Task<string> GetStatusAsync(string source, CancellationToken cancellationToken);
}
