using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FhirBridge.Cli.Web.Health;

/// <summary>
/// Liveness and readiness for hospital IT's monitoring. Unauthenticated, so they say only which part is failing:
/// no patient data, no secrets, no error text from the data.
/// </summary>
public static class HealthEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    /// <summary>Registers what the endpoints need.</summary>
    public static void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        _ = configuration;
        services.AddHttpClient();
        services.AddSingleton<Readiness>();
    }

    /// <summary>Maps the endpoints.</summary>
    public static void Map(WebApplication app)
    {
        // Live: the process answers.
        app.MapGet("/health/live", () => Results.Text("live"));

        // Ready: 200 when the store, every source and the registry are fine, 503 naming what is not.
        app.MapGet("/health/ready", async (Readiness readiness, CancellationToken cancellationToken) =>
        {
            var report = await readiness.CheckAsync(cancellationToken);
            return Results.Json(report, Json, statusCode: report.Status == "ready" ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
    }
}
