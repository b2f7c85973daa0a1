namespace FhirBridge.Fhir.Http;

/// <summary>How a source's HTTP client authenticates to its FHIR server.</summary>
public enum FhirSourceAuthKind
{
    /// <summary>No credentials.</summary>
    None,

    /// <summary>HTTP Basic (<c>Authorization: Basic base64(user:password)</c>).</summary>
    Basic,

    /// <summary>A static bearer token.</summary>
    Bearer,

    /// <summary>
    /// SMART Backend Services: client_credentials with a signed JWT assertion (RS384 or ES384)
    /// (https://hl7.org/fhir/smart-app-launch/backend-services.html).
    /// </summary>
    SmartBackend,
}
