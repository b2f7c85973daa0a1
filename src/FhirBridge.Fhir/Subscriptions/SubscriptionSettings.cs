namespace FhirBridge.Fhir.Subscriptions;

/// <summary>What a <see cref="SubscriptionManager"/> keeps on one source's server.</summary>
public sealed record SubscriptionSettings
{
    /// <summary>The notification endpoint the server calls: <c>{PublicBaseUrl}/notifications/{source}</c>.</summary>
    public required Uri Endpoint { get; init; }

    /// <summary>The secret the server sends back in <c>Authorization: Bearer ...</c>.</summary>
    public required string Secret { get; init; }

    /// <summary>The resource types pulled: one Subscription each.</summary>
    public required IReadOnlyList<string> ResourceTypes { get; init; }

    /// <summary>
    /// How often a Backport topic subscription asks for a heartbeat (<c>backport-heartbeat-period</c>); a heartbeat
    /// reveals missed events through <c>events-since-subscription-start</c>. Default 5 minutes.
    /// </summary>
    public TimeSpan HeartbeatPeriod { get; init; } = TimeSpan.FromMinutes(5);
}
