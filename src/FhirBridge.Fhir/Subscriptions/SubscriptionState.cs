namespace FhirBridge.Fhir.Subscriptions;

/// <summary>One of FhirBridge's own Subscriptions as the server holds it.</summary>
/// <param name="ResourceType">The pulled type it reports changes of.</param>
/// <param name="Id">Its id on the server.</param>
/// <param name="Criteria">Its criteria: <c>Procedure?</c>, or the topic canonical of a Backport subscription.</param>
/// <param name="Status">Its server-side status (requested, active, error, off).</param>
/// <param name="Error">The server's <c>Subscription.error</c>, when it gives one.</param>
/// <param name="IsTopic">True for a Backport IG topic subscription.</param>
public sealed record SubscriptionState(string ResourceType, string Id, string Criteria, string Status, string? Error, bool IsTopic);
