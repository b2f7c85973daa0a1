using System.Security.Cryptography;
using System.Text;
using FhirBridge.Cli.Service;
using FhirBridge.Fhir.Subscriptions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FhirBridge.Cli.Web.Notifications;

/// <summary>
/// The endpoint hospital FHIR servers notify (rest-hook Subscriptions): <c>POST</c> or <c>PUT</c> at
/// <c>/notifications/{source}</c> or <c>/notifications/{source}/{type}/{id}</c> (classic R4 with a payload PUTs
/// there), with an empty body, a bare resource, or a Backport IG notification Bundle. The bearer secret of the source
/// is checked in constant time (401, nothing queued); an unknown source is 404. A notification is only a trigger:
/// nothing in it is fetched or stored; the source's pull job runs at once and reads the configured base URL.
/// </summary>
public static class NotificationEndpoints
{
    /// <summary>The largest body read; a bigger one is refused (413) before it is read.</summary>
    public const int MaxBodyBytes = 4 * 1024 * 1024;

    /// <summary>Registers what the endpoints need.</summary>
    public static void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        _ = configuration;
        services.AddSingleton<NotificationPulls>();
        services.AddSingleton<NotificationEventTracker>();
    }

    /// <summary>Maps the endpoints.</summary>
    public static void Map(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        string[] methods = ["POST", "PUT"];
        app.MapMethods("/notifications/{source}", methods, (Delegate)NotifyAsync);
        app.MapMethods("/notifications/{source}/{type}/{id}", methods, (Delegate)NotifyAsync);
    }

    private static async Task<IResult> NotifyAsync(
        string source, HttpContext context, SourceSubscriptions subscriptions, NotificationPulls pulls, NotificationEventTracker tracker, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(typeof(NotificationEndpoints));
        if (!subscriptions.Has(source))
        {
            return Results.NotFound();
        }

        if (!Authorized(context.Request, subscriptions.Secret(source)))
        {
            logger.LogWarning("Refused a notification for {Source}: wrong or missing bearer secret", source);
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return Results.Unauthorized();
        }

        if (context.Request.ContentLength > MaxBodyBytes)
        {
            return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }

        var body = await ReadAsync(context.Request, context.RequestAborted);
        if (body is null)
        {
            return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }

        var notification = SubscriptionNotification.Read(body);
        var gap = tracker.Observe(source, notification);
        switch (notification.Kind)
        {
            case NotificationKind.Handshake:
                logger.LogInformation("Handshake of Subscription {Subscription} of {Source}", notification.Subscription, source);
                return Results.Ok();
            case NotificationKind.Heartbeat or NotificationKind.OtherStatus when !gap:
                logger.LogDebug("Heartbeat of Subscription {Subscription} of {Source}: no events missed", notification.Subscription, source);
                return Results.Ok();
        }

        if (gap)
        {
            logger.LogWarning("Subscription {Subscription} of {Source} missed notifications ({Events} events since start): a full incremental pull follows",
                notification.Subscription, source, notification.EventsSinceStart);
        }

        // Queue and answer: the pull runs on the scheduler, never while the server waits.
        await pulls.RequestAsync(source, gap ? "missed events" : notification.Kind.ToString(), context.RequestAborted);
        return Results.Accepted();
    }

    /// <summary>
    /// Compares <c>Authorization: Bearer {secret}</c> in constant time: both sides are hashed first, so neither the
    /// content nor the length of the secret shows in the timing.
    /// </summary>
    private static bool Authorized(HttpRequest request, ReadOnlySpan<byte> secret)
    {
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (secret.IsEmpty || !header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        Span<byte> given = stackalloc byte[32];
        Span<byte> expected = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()), given);
        SHA256.HashData(secret, expected);
        return CryptographicOperations.FixedTimeEquals(given, expected);
    }

    private static async Task<byte[]?> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
