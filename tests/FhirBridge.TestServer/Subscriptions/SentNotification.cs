namespace FhirBridge.TestServer.Subscriptions;

/// <summary>One notification the test server sent (or tried to).</summary>
/// <param name="Time">When it was sent, on the server's clock.</param>
/// <param name="SubscriptionId">The Subscription it was for (null for one sent with <see cref="SubscriptionNotifier.SendAsync"/>).</param>
/// <param name="Kind">handshake, heartbeat, event-notification (Backport), classic, or custom.</param>
/// <param name="Method">POST or PUT.</param>
/// <param name="Url">Where it went.</param>
/// <param name="StatusCode">The answer's status, 0 when none came.</param>
/// <param name="EventNumber">The Backport event number, when it carried one.</param>
public sealed record SentNotification(DateTimeOffset Time, string? SubscriptionId, string Kind, string Method, Uri Url, int StatusCode, long? EventNumber);
