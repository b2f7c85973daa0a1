using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace FhirBridge.TestServer.Tests;

/// <summary>A rest-hook endpoint on 127.0.0.1 (real HTTP) that records what it receives and answers a chosen status.</summary>
internal sealed class NotificationReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    private NotificationReceiver(WebApplication app) => _app = app;

    public ConcurrentQueue<Received> Received { get; } = new();

    public int Status { get; set; } = 200;

    public Uri Endpoint { get; private set; } = null!;

    public static async Task<NotificationReceiver> StartAsync()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = new NotificationReceiver(app);
        app.Run(async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync(context.RequestAborted);
            receiver.Received.Enqueue(new Received(context.Request.Method, context.Request.Path.Value ?? "", context.Request.Headers.Authorization.ToString(), body));
            context.Response.StatusCode = receiver.Status;
        });
        await app.StartAsync();
        receiver.Endpoint = new Uri(app.Urls.First().TrimEnd('/') + "/notifications/hospital");
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

internal sealed record Received(string Method, string Path, string Authorization, string Body);
