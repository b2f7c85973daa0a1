using FhirBridge.Fhir.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FhirBridge.Fhir.Subscriptions;

/// <summary>Creates a <see cref="SubscriptionManager"/> over a source whose HTTP clients were registered with <see cref="FhirSourceHttpServiceCollectionExtensions.AddFhirSourceHttp"/>.</summary>
public static class FhirSubscriptions
{
    /// <summary>The manager of <paramref name="sourceName"/>'s Subscriptions.</summary>
    /// <exception cref="InvalidOperationException">No HTTP clients were registered for the source.</exception>
    public static SubscriptionManager Create(IServiceProvider services, string sourceName, SubscriptionSettings settings)
    {
        ArgumentNullException.ThrowIfNull(services);
        var endpoint = FhirHttpClients.Find(services, FhirSourceHttp.ClientName(sourceName))
            ?? throw new InvalidOperationException($"source {sourceName}: its HTTP clients are not registered; call AddFhirSourceHttp first");
        return new SubscriptionManager(sourceName, endpoint.BaseUrl, services.GetRequiredService<IHttpClientFactory>(), settings,
            services.GetRequiredService<ILoggerFactory>().CreateLogger<SubscriptionManager>());
    }
}
