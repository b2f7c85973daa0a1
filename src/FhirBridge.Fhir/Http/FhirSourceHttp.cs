namespace FhirBridge.Fhir.Http;

/// <summary>The names under which <see cref="FhirSourceHttpServiceCollectionExtensions.AddFhirSourceHttp"/> registers a source's clients, and its URL check.</summary>
public static class FhirSourceHttp
{
    /// <summary>The named <see cref="HttpClient"/> (<c>IHttpClientFactory.CreateClient(name)</c>) of a source's FHIR requests.</summary>
    public static string ClientName(string sourceName) => "fhirbridge-source:" + sourceName;

    /// <summary>The named client a source uses for SMART discovery and its token endpoint (never carries the access token).</summary>
    public static string AuthClientName(string sourceName) => "fhirbridge-source:" + sourceName + ":auth";

    /// <summary>
    /// Why <paramref name="baseUrl"/> cannot be a source's base URL, or null when it can: it must be an absolute http(s) URL,
    /// https unless it is on loopback or <paramref name="allowInsecureHttp"/> is set, without a query or fragment.
    /// </summary>
    public static string? CheckBaseUrl(Uri baseUrl, bool allowInsecureHttp)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        if (!baseUrl.IsAbsoluteUri || (baseUrl.Scheme != Uri.UriSchemeHttps && baseUrl.Scheme != Uri.UriSchemeHttp))
        {
            return $"'{baseUrl}' is not an absolute http(s) URL";
        }

        if (!Origins.SchemeAllowed(baseUrl, allowInsecureHttp))
        {
            return $"'{Origins.Of(baseUrl)}' uses plain http on a host that is not loopback; use https (or allow insecure http explicitly)";
        }

        return baseUrl.Query.Length > 0 || baseUrl.Fragment.Length > 0 ? $"'{Origins.Of(baseUrl)}{baseUrl.AbsolutePath}' must have no query or fragment" : null;
    }

    /// <summary>The first setting out of range, named, or null when all are usable.</summary>
    public static string? CheckSettings(FhirSourceHttpSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var halfSecond = TimeSpan.FromMilliseconds(500);
        var day = TimeSpan.FromDays(1);
        return settings switch
        {
            { RequestTimeout: var t } when t < TimeSpan.FromMilliseconds(10) || t > day => "RequestTimeout must be between 10 ms and 1 day",
            { MaxRetries: < 0 or > 100 } => "MaxRetries must be 0-100",
            { RetryBaseDelay: var d } when d < TimeSpan.Zero || d > day => "RetryBaseDelay must be between 0 and 1 day",
            { MaxRetryDelay: var d } when d <= TimeSpan.Zero || d > day => "MaxRetryDelay must be more than 0 and at most 1 day",
            { CircuitBreakerFailureRatio: <= 0 or > 1 } => "CircuitBreakerFailureRatio must be more than 0 and at most 1",
            { CircuitBreakerMinimumThroughput: < 2 } => "CircuitBreakerMinimumThroughput must be at least 2",
            { CircuitBreakerSamplingDuration: var d } when d < halfSecond || d > day => "CircuitBreakerSamplingDuration must be between 0.5 s and 1 day",
            { CircuitBreakerBreakDuration: var d } when d < halfSecond || d > day => "CircuitBreakerBreakDuration must be between 0.5 s and 1 day",
            { Auth: null } => "Auth is required (Kind None for no credentials)",
            _ => null,
        };
    }
}
