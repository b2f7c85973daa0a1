using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FhirBridge.Cli.Web.Notifications;

/// <summary>The endpoint hospital FHIR servers notify (rest-hook Subscriptions): a notification only triggers the source's pull.</summary>
public static class NotificationEndpoints
{
    /// <summary>Registers what the endpoints need.</summary>
    public static void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        _ = services;
        _ = configuration;
    }

    /// <summary>Maps the endpoints.</summary>
    public static void Map(WebApplication app)
    {
        _ = app;
    }
}
