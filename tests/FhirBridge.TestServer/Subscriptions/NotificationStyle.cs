namespace FhirBridge.TestServer.Subscriptions;

/// <summary>How the test server delivers a classic (criteria-based) rest-hook notification.</summary>
public enum NotificationStyle
{
    /// <summary>
    /// As R4 says (https://hl7.org/fhir/R4/subscription.html#2.46.7.1): without <c>channel.payload</c> a POST with no
    /// body to the endpoint; with a payload a PUT of the resource to <c>{endpoint}/{type}/{id}</c>.
    /// </summary>
    Spec,

    /// <summary>Always a PUT of the resource to <c>{endpoint}/{type}/{id}</c>.</summary>
    ClassicPut,

    /// <summary>Always a POST of the bare resource to the endpoint itself (what Medplum and HAPI send with a payload).</summary>
    PostBareResource,

    /// <summary>Always a POST with no body.</summary>
    Empty,
}
