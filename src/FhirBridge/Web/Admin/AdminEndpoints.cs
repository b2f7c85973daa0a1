using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FhirBridge.Cli.Web.Admin;

/// <summary>The admin surface for registry admins (issue 5): pages and API behind authentication.</summary>
public static class AdminEndpoints
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
