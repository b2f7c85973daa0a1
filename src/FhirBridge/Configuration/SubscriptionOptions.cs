namespace FhirBridge.Cli.Configuration;

/// <summary>
/// <c>FhirBridge:Sources:N:Subscriptions</c>: rest-hook Subscriptions FhirBridge keeps on a Rest source's server, so a
/// change there triggers a pull at once instead of at the next scheduled poll (which still runs, as the safety net).
/// See docs/subscriptions.md.
/// </summary>
public sealed class SubscriptionOptions
{
    /// <summary>The shortest secret accepted, in characters.</summary>
    public const int MinimumSecretLength = 16;

    /// <summary>Keep Subscriptions on this source's server (Rest sources only). Default false.</summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// The secret the server sends back as <c>Authorization: Bearer ...</c> with every notification (at least 16
    /// characters); give it through the environment or <see cref="SecretFile"/>.
    /// </summary>
    public string? Secret { get; set; }

    /// <summary>A file holding the secret.</summary>
    public string? SecretFile { get; set; }
}
