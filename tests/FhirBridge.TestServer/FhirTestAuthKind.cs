namespace FhirBridge.TestServer;

/// <summary>How a <see cref="FhirTestServer"/> authenticates requests.</summary>
public enum FhirTestAuthKind
{
    /// <summary>No authentication: every request is served.</summary>
    None = 0,

    /// <summary>HTTP Basic with one user name and password.</summary>
    Basic,

    /// <summary>One static bearer token.</summary>
    Bearer,

    /// <summary>
    /// SMART Backend Services: bearer tokens issued by the server's token endpoint for a signed JWT client assertion
    /// (https://hl7.org/fhir/smart-app-launch/backend-services.html).
    /// </summary>
    SmartBackend,
}
