namespace FhirBridge.Fhir.Subscriptions;

/// <summary>What a notification body is.</summary>
public enum NotificationKind
{
    /// <summary>No body (a classic rest-hook Subscription without payload).</summary>
    Empty,

    /// <summary>A bare resource (classic rest-hook with a payload: HAPI, Medplum), or a body that is not a notification Bundle.</summary>
    Resource,

    /// <summary>Backport: the handshake when a topic subscription starts.</summary>
    Handshake,

    /// <summary>Backport: a heartbeat (nothing happened, but the event count says how many events there were).</summary>
    Heartbeat,

    /// <summary>Backport: events happened.</summary>
    EventNotification,

    /// <summary>Backport: a status Bundle of another type (query-status, query-event).</summary>
    OtherStatus,
}
