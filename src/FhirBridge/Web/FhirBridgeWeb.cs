using FhirBridge.Cli.Web.Admin;
using FhirBridge.Cli.Web.Health;
using FhirBridge.Cli.Web.Notifications;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FhirBridge.Cli.Web;

/// <summary>
/// The HTTP side of <c>fhirbridge run</c>: Kestrel in the same process, on the addresses of ASP.NET Core's own
/// <c>Urls</c> setting (default <see cref="DefaultUrls"/>, loopback only). It serves the notification endpoint hospital
/// servers call, the admin surface for registry admins, and the health checks. Each part is one folder.
/// </summary>
public static class FhirBridgeWeb
{
    /// <summary>Where Kestrel listens unless <c>Urls</c> says otherwise: loopback only, so nothing is exposed by default.</summary>
    public const string DefaultUrls = "http://127.0.0.1:5080";

    /// <summary>The addresses to listen on.</summary>
    public static string Urls(IConfiguration configuration) =>
        string.IsNullOrWhiteSpace(configuration["Urls"]) ? DefaultUrls : configuration["Urls"]!;

    /// <summary>Registers the services of every part.</summary>
    public static void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        HealthEndpoints.AddServices(services, configuration);
        NotificationEndpoints.AddServices(services, configuration);
        AdminEndpoints.AddServices(services, configuration);
    }

    /// <summary>Maps the endpoints of every part.</summary>
    public static void Map(WebApplication app)
    {
        HealthEndpoints.Map(app);
        NotificationEndpoints.Map(app);
        AdminEndpoints.Map(app);
    }
}
