namespace FhirBridge.Fhir.Http;

/// <summary>One source's registration: its name, base URL (with a trailing slash) and HTTP settings.</summary>
internal sealed record FhirSourceEndpoint(string Name, Uri BaseUrl, FhirSourceHttpSettings Settings)
{
    /// <summary>True when <paramref name="uri"/> is on the base URL's origin (scheme, host and port).</summary>
    public bool IsOwnOrigin(Uri uri) => Origins.Same(uri, BaseUrl);

    /// <summary>The base URL's origin, for messages.</summary>
    public string Origin => Origins.Of(BaseUrl);
}
