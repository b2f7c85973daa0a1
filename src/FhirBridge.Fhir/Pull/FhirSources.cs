using FhirBridge.Fhir.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FhirBridge.Fhir.Pull;

/// <summary>
/// Creates the HTTP sources from a service provider in which the source's HTTP clients were registered with
/// <see cref="FhirSourceHttpServiceCollectionExtensions.AddFhirSourceHttp"/> (same name).
/// </summary>
public static class FhirSources
{
    /// <summary>A FHIR search source over the registered source's base URL and clients.</summary>
    /// <exception cref="InvalidOperationException">No HTTP clients were registered for <paramref name="sourceName"/>.</exception>
    public static RestSource CreateRest(IServiceProvider services, string sourceName, RestSourceSettings settings)
    {
        ArgumentNullException.ThrowIfNull(services);
        var endpoint = Endpoint(services, sourceName);
        return new RestSource(sourceName, endpoint.BaseUrl, services.GetRequiredService<IHttpClientFactory>(), settings,
            services.GetRequiredService<ILoggerFactory>().CreateLogger<RestSource>());
    }

    /// <summary>A Bulk Data export source over the registered source's base URL and clients.</summary>
    /// <exception cref="InvalidOperationException">No HTTP clients were registered for <paramref name="sourceName"/>.</exception>
    public static BulkExportSource CreateBulkExport(IServiceProvider services, string sourceName, BulkExportSettings settings)
    {
        ArgumentNullException.ThrowIfNull(services);
        var endpoint = Endpoint(services, sourceName);
        return new BulkExportSource(sourceName, endpoint.BaseUrl, services.GetRequiredService<IHttpClientFactory>(), settings,
            services.GetService<TimeProvider>() ?? TimeProvider.System, services.GetRequiredService<ILoggerFactory>().CreateLogger<BulkExportSource>());
    }

    private static FhirSourceEndpoint Endpoint(IServiceProvider services, string sourceName) =>
        FhirHttpClients.Find(services, FhirSourceHttp.ClientName(sourceName))
        ?? throw new InvalidOperationException($"source {sourceName}: its HTTP clients are not registered; call AddFhirSourceHttp(\"{sourceName}\", baseUrl, settings) first");
}
