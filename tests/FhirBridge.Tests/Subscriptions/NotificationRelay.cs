using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace FhirBridge.Tests.Subscriptions;

/// <summary>
/// A reverse proxy on 127.0.0.1 standing where <c>FhirBridge:PublicBaseUrl</c> points, as one does in a hospital: its
/// address is known before the service starts (which listens on a random port), and it forwards method, path,
/// <c>Authorization</c>, <c>Content-Type</c> and body to the service once <see cref="Target"/> is set.
/// </summary>
internal sealed class NotificationRelay : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    private NotificationRelay(WebApplication app) => _app = app;

    public Uri PublicBaseUrl { get; private set; } = null!;

    public Uri? Target { get; set; }

    public static async Task<NotificationRelay> StartAsync()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var relay = new NotificationRelay(app);
        app.Run(relay.ForwardAsync);
        await app.StartAsync();
        relay.PublicBaseUrl = new Uri(app.Urls.First().TrimEnd('/') + "/");
        return relay;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _http.Dispose();
    }

    private async Task ForwardAsync(HttpContext context)
    {
        if (Target is null)
        {
            context.Response.StatusCode = 503;
            return;
        }

        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), new Uri(Target, context.Request.Path.Value!.TrimStart('/') + context.Request.QueryString));
        request.Content = new ByteArrayContent(body.ToArray());
        if (context.Request.ContentType is { } type)
        {
            request.Content.Headers.TryAddWithoutValidation("Content-Type", type);
        }

        if (context.Request.Headers.Authorization.Count > 0)
        {
            request.Headers.TryAddWithoutValidation("Authorization", context.Request.Headers.Authorization.ToString());
        }

        using var response = await _http.SendAsync(request, context.RequestAborted);
        context.Response.StatusCode = (int)response.StatusCode;
    }
}
