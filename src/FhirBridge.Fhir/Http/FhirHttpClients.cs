using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace FhirBridge.Fhir.Http;

/// <summary>
/// The one HTTP path of every FHIR server FhirBridge talks to (sources and the registry): the origin guard, the
/// resilience pipeline, the JSON check and authentication, in that order, on a client named after the endpoint; SMART
/// discovery and the token endpoint on a second client without the server's credentials.
/// </summary>
internal static class FhirHttpClients
{
    private const string LoggerCategory = "FhirBridge.Fhir.Http";

    public static Uri WithTrailingSlash(Uri baseUrl) => baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");

    /// <summary>Registers the endpoint (keyed by its client name) and its two clients; returns the FHIR client's builder.</summary>
    public static IHttpClientBuilder Register(IServiceCollection services, FhirSourceEndpoint endpoint)
    {
        services.AddKeyedSingleton(endpoint.ClientName, endpoint);
        services.TryAddSingleton(TimeProvider.System);

        // SMART discovery and the token endpoint get their own client: scheme check only (the token endpoint may be on
        // another host), the same resilience (discovery GETs retried, token POSTs never), no credentials of the FHIR server.
        AddClient(services, endpoint.AuthClientName, endpoint, sameOriginOnly: false);
        var client = AddClient(services, endpoint.ClientName, endpoint, sameOriginOnly: true);

        switch (endpoint.Settings.Auth.Kind)
        {
            case FhirSourceAuthKind.Basic or FhirSourceAuthKind.Bearer:
                client.AddHttpMessageHandler(() => new StaticAuthHandler(endpoint));
                break;
            case FhirSourceAuthKind.SmartBackend:
                services.AddKeyedSingleton(endpoint.ClientName, (sp, _) => new SmartTokenSource(
                    endpoint, sp.GetRequiredService<IHttpClientFactory>(), Clock(sp), Logger(sp)));
                client.AddHttpMessageHandler(sp => new SmartBackendAuthHandler(endpoint, sp.GetRequiredKeyedService<SmartTokenSource>(endpoint.ClientName)));
                break;
        }

        return client;
    }

    /// <summary>The registered endpoint of a client name, or null.</summary>
    public static FhirSourceEndpoint? Find(IServiceProvider services, string clientName) => services.GetKeyedService<FhirSourceEndpoint>(clientName);

    private static IHttpClientBuilder AddClient(IServiceCollection services, string name, FhirSourceEndpoint endpoint, bool sameOriginOnly)
    {
        var client = services.AddHttpClient(name)
            .ConfigureHttpClient(ConfigureClient)
            .ConfigurePrimaryHttpMessageHandler(CreatePrimaryHandler)
            .AddHttpMessageHandler(sp => new OriginGuardHandler(endpoint, sameOriginOnly, Logger(sp)));
        client.AddResilienceHandler("fhir", (pipeline, context) =>
            FhirResilience.Configure(pipeline, endpoint, Clock(context.ServiceProvider), Logger(context.ServiceProvider)));
        return client.AddHttpMessageHandler(() => new JsonBodyCheckHandler());
    }

    private static void ConfigureClient(HttpClient http)
    {
        // Attempts are bounded by the pipeline's timeout; Bulk Data downloads by their own.
        http.Timeout = Timeout.InfiniteTimeSpan;
        http.DefaultRequestHeaders.UserAgent.ParseAdd("FhirBridge/1.0");
    }

    private static SocketsHttpHandler CreatePrimaryHandler() => new()
    {
        AllowAutoRedirect = false,
        AutomaticDecompression = System.Net.DecompressionMethods.All,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        ConnectTimeout = TimeSpan.FromSeconds(15),
    };

    public static TimeProvider Clock(IServiceProvider services) => services.GetService<TimeProvider>() ?? TimeProvider.System;

    public static ILogger Logger(IServiceProvider services) => services.GetRequiredService<ILoggerFactory>().CreateLogger(LoggerCategory);
}
