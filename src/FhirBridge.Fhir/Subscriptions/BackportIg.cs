namespace FhirBridge.Fhir.Subscriptions;

/// <summary>
/// Canonicals of the Subscriptions R5 Backport IG for R4 (https://hl7.org/fhir/uv/subscriptions-backport/), which
/// FhirBridge reads in a server's CapabilityStatement and writes in its topic subscriptions.
/// </summary>
public static class BackportIg
{
    private const string Base = "http://hl7.org/fhir/uv/subscriptions-backport/";

    /// <summary>The R4 server CapabilityStatement a server <c>instantiates</c> when it supports the IG.</summary>
    public const string ServerCapabilityStatement = Base + "CapabilityStatement/backport-subscription-server-r4";

    /// <summary>The Subscription profile a server lists in <c>rest.resource.supportedProfile</c>.</summary>
    public const string SubscriptionProfile = Base + "StructureDefinition/backport-subscription";

    /// <summary>The extension on <c>rest.resource</c> advertising a topic canonical.</summary>
    public const string TopicCanonical = Base + "StructureDefinition/capabilitystatement-subscriptiontopic-canonical";

    /// <summary>The extension on <c>channel.payload</c>: empty, id-only or full-resource.</summary>
    public const string PayloadContent = Base + "StructureDefinition/backport-payload-content";

    /// <summary>The extension on <c>channel</c>: seconds between heartbeats.</summary>
    public const string HeartbeatPeriod = Base + "StructureDefinition/backport-heartbeat-period";

    /// <summary>The extension on <c>criteria</c> carrying the topic's filter.</summary>
    public const string FilterCriteria = Base + "StructureDefinition/backport-filter-criteria";
}
