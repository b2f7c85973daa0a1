namespace FhirBridge.Fhir.Http;

/// <summary>Origins (RFC 6454: scheme, host, port) and the https rule.</summary>
internal static class Origins
{
    /// <summary>True when both are absolute and share scheme, host and port.</summary>
    public static bool Same(Uri a, Uri b) =>
        a.IsAbsoluteUri && b.IsAbsoluteUri
        && string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase)
        && a.Port == b.Port;

    /// <summary><c>scheme://host:port</c>, never the path or query (which could carry a signature or a token).</summary>
    public static string Of(Uri uri) => uri.IsAbsoluteUri ? uri.GetLeftPart(UriPartial.Authority) : "(relative URL)";

    /// <summary>https always; plain http only to a loopback host or when allowed explicitly.</summary>
    public static bool SchemeAllowed(Uri uri, bool allowInsecureHttp) =>
        uri.IsAbsoluteUri
        && (uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && (allowInsecureHttp || uri.IsLoopback)));
}
