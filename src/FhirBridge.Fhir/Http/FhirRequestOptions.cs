namespace FhirBridge.Fhir.Http;

/// <summary>Per-request options a source's HTTP client understands (<see cref="HttpRequestMessage.Options"/>).</summary>
public static class FhirRequestOptions
{
    /// <summary>
    /// Send this request without credentials, even on the source's own origin: a Bulk Data file whose manifest says
    /// <c>requiresAccessToken: false</c>.
    /// </summary>
    public static HttpRequestOptionsKey<bool> WithoutCredentials { get; } = new("FhirBridge.WithoutCredentials");
}
