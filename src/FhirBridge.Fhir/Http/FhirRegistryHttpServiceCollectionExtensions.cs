using Microsoft.Extensions.DependencyInjection;

namespace FhirBridge.Fhir.Http;

/// <summary>Registers the registry's HTTP clients on the same path as the sources'.</summary>
public static class FhirRegistryHttpServiceCollectionExtensions
{
    /// <summary>
    /// Registers the registry's HTTP clients, named <see cref="FhirRegistryHttp.ClientName"/> and
    /// <see cref="FhirRegistryHttp.AuthClientName"/>, exactly as
    /// <see cref="FhirSourceHttpServiceCollectionExtensions.AddFhirSourceHttp"/> registers a source's: the origin guard (no
    /// request, and no credential, to another origin than <paramref name="baseUrl"/>'s; https unless on loopback or
    /// <see cref="FhirSourceHttpSettings.AllowInsecureHttp"/>), the resilience pipeline (a circuit breaker and a timeout
    /// per attempt; its retries are for GETs only, so a transaction POST is never replayed here: the registry push retries
    /// whole change sets itself), the JSON check and Basic, Bearer or SMART Backend Services authentication. Redirects are
    /// not followed.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="baseUrl">The registry's FHIR base URL; a trailing slash is added when missing.</param>
    /// <param name="settings">Credentials, the attempt timeout (<see cref="FhirSourceHttpSettings.RequestTimeout"/>) and the circuit breaker.</param>
    /// <returns>The builder of the registry's FHIR client, for more configuration.</returns>
    /// <exception cref="ArgumentException">
    /// The registry's clients are registered already, the base URL is not absolute http(s), or a setting is out of range.
    /// </exception>
    public static IHttpClientBuilder AddFhirRegistryHttp(this IServiceCollection services, Uri baseUrl, FhirSourceHttpSettings settings)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(baseUrl);
        ArgumentNullException.ThrowIfNull(settings);
        if (!baseUrl.IsAbsoluteUri || (baseUrl.Scheme != Uri.UriSchemeHttps && baseUrl.Scheme != Uri.UriSchemeHttp))
        {
            throw new ArgumentException("registry: the base URL must be an absolute http(s) URL", nameof(baseUrl));
        }

        if (FhirSourceHttp.CheckSettings(settings) is { } problem)
        {
            throw new ArgumentException($"registry: {problem}", nameof(settings));
        }

        if (services.Any(d => d.IsKeyedService && d.ServiceType == typeof(FhirSourceEndpoint) && Equals(d.ServiceKey, FhirRegistryHttp.ClientName)))
        {
            throw new ArgumentException("registry: its HTTP clients are registered already", nameof(services));
        }

        return FhirHttpClients.Register(services, FhirSourceEndpoint.ForRegistry(FhirHttpClients.WithTrailingSlash(baseUrl), settings));
    }
}
