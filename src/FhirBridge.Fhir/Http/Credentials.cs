namespace FhirBridge.Fhir.Http;

/// <summary>Where credentials may go: the source's own origin, unless the request opted out.</summary>
internal static class Credentials
{
    public static bool Allowed(HttpRequestMessage request, FhirSourceEndpoint endpoint) =>
        request.RequestUri is { } uri
        && endpoint.IsOwnOrigin(uri)
        && !(request.Options.TryGetValue(FhirRequestOptions.WithoutCredentials, out var without) && without);
}
