namespace FhirBridge.Fhir.Http;

/// <summary>
/// One FHIR server's registration, a source's or the registry's: how messages name it, its clients' names, its base URL
/// (with a trailing slash) and its HTTP settings. Registered as a keyed singleton under <see cref="ClientName"/>.
/// </summary>
internal sealed record FhirSourceEndpoint(string Name, string Label, string ClientName, string AuthClientName, Uri BaseUrl, FhirSourceHttpSettings Settings)
{
    /// <summary>A hospital source's registration.</summary>
    public static FhirSourceEndpoint ForSource(string name, Uri baseUrl, FhirSourceHttpSettings settings) =>
        new(name, "source " + name, FhirSourceHttp.ClientName(name), FhirSourceHttp.AuthClientName(name), baseUrl, settings);

    /// <summary>The registry's registration.</summary>
    public static FhirSourceEndpoint ForRegistry(Uri baseUrl, FhirSourceHttpSettings settings) =>
        new("registry", "registry", FhirRegistryHttp.ClientName, FhirRegistryHttp.AuthClientName, baseUrl, settings);

    /// <summary>True when <paramref name="uri"/> is on the base URL's origin (scheme, host and port).</summary>
    public bool IsOwnOrigin(Uri uri) => Origins.Same(uri, BaseUrl);

    /// <summary>The base URL's origin, for messages.</summary>
    public string Origin => Origins.Of(BaseUrl);
}
