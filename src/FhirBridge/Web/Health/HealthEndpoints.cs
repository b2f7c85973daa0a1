using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FhirBridge.Cli.Web.Health;

/// <summary>Liveness and readiness for hospital IT's monitoring.</summary>
public static class HealthEndpoints
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
        // Live: the process answers. Readiness (store, sources, registry) comes with the operations work.
        app.MapGet("/health/live", () => Results.Text("live"));
    }
}
