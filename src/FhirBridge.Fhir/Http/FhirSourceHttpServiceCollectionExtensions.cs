using Microsoft.Extensions.DependencyInjection;

namespace FhirBridge.Fhir.Http;

/// <summary>Registers the one HTTP path every FHIR source uses.</summary>
public static class FhirSourceHttpServiceCollectionExtensions
{
    /// <summary>
    /// Registers the HTTP clients of one source, named <see cref="FhirSourceHttp.ClientName"/> and
    /// <see cref="FhirSourceHttp.AuthClientName"/>. Each request of the source's client passes, in order:
    /// <list type="number">
    /// <item>the origin guard: a request to another origin than <paramref name="baseUrl"/>'s, or plain http where https
    /// is required (everywhere but loopback, unless <see cref="FhirSourceHttpSettings.AllowInsecureHttp"/>), is refused and
    /// logged, never sent;</item>
    /// <item>the resilience pipeline: retries of GETs only, exponential backoff with jitter, <c>Retry-After</c> (seconds
    /// or HTTP date) honoured on 429 and 503; a circuit breaker for this source; a timeout per attempt;</item>
    /// <item>the JSON check: a cut-off JSON body fails the attempt, so it is retried;</item>
    /// <item>authentication (<see cref="FhirSourceAuthSettings"/>): Basic, Bearer or SMART Backend Services, on the source's
    /// own origin only; SMART tokens are cached until shortly before they expire, and a 401 refreshes the token once and
    /// sends the request once more.</item>
    /// </list>
    /// Redirects are not followed (a redirect could lead to another origin). Time (token expiry, <c>Retry-After</c> dates)
    /// comes from the registered <see cref="TimeProvider"/>, <see cref="TimeProvider.System"/> if none.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="sourceName">The source's unique name; the clients, the circuit breaker and the token cache are per name.</param>
    /// <param name="baseUrl">The FHIR base URL; a trailing slash is added when missing.</param>
    /// <param name="settings">Credentials, timeout, retries and the circuit breaker.</param>
    /// <returns>The builder of the source's FHIR client, for more configuration.</returns>
    /// <exception cref="ArgumentException">
    /// The name is empty or already registered, the base URL is not absolute http(s), or a setting is out of range
    /// (<see cref="FhirSourceHttp.CheckSettings"/>).
    /// </exception>
    public static IHttpClientBuilder AddFhirSourceHttp(this IServiceCollection services, string sourceName, Uri baseUrl, FhirSourceHttpSettings settings)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(sourceName);
        ArgumentNullException.ThrowIfNull(baseUrl);
        ArgumentNullException.ThrowIfNull(settings);
        if (!baseUrl.IsAbsoluteUri || (baseUrl.Scheme != Uri.UriSchemeHttps && baseUrl.Scheme != Uri.UriSchemeHttp))
        {
            throw new ArgumentException($"source {sourceName}: the base URL must be an absolute http(s) URL", nameof(baseUrl));
        }

        if (FhirSourceHttp.CheckSettings(settings) is { } problem)
        {
            throw new ArgumentException($"source {sourceName}: {problem}", nameof(settings));
        }

        if (services.Any(d => d.IsKeyedService && d.ServiceType == typeof(FhirSourceEndpoint) && Equals(d.ServiceKey, FhirSourceHttp.ClientName(sourceName))))
        {
            throw new ArgumentException($"source {sourceName}: its HTTP clients are registered already", nameof(sourceName));
        }

        return FhirHttpClients.Register(services, FhirSourceEndpoint.ForSource(sourceName, FhirHttpClients.WithTrailingSlash(baseUrl), settings));
    }
}
