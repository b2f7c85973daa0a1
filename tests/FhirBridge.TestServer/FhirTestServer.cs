using System.Net;
using FhirBridge.TestServer.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Hosting;

namespace FhirBridge.TestServer;

/// <summary>
/// An in-process FHIR R4 server for tests: Kestrel on 127.0.0.1 with a random free port (real HTTP), resources in
/// memory, JSON only. It implements what FhirBridge relies on as the FHIR specification defines it: read, vread, update,
/// create, delete and instance history (https://hl7.org/fhir/R4/http.html); type search with <c>_lastUpdated</c>,
/// <c>_id</c>, <c>identifier</c>, <c>patient</c>/<c>subject</c>, <c>_count</c>, <c>_sort</c> and snapshot paging;
/// transaction and batch Bundles with conditional create/update/delete; Bulk Data <c>$export</c>
/// (https://hl7.org/fhir/uv/bulkdata/export.html); Basic, Bearer or SMART Backend Services auth; and injected faults
/// (<see cref="Faults"/>). Every request is logged in <see cref="Requests"/>.
/// </summary>
public sealed class FhirTestServer : IAsyncDisposable
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(2);
    private readonly WebApplication _app;
    private readonly ServerContext _server;
    private readonly CancellationTokenSource _stopping = new();

    private FhirTestServer(WebApplication app, ServerContext server)
    {
        _app = app;
        _server = server;
    }

    /// <summary>The FHIR base URL, with a trailing slash: <c>http://127.0.0.1:PORT/fhir/</c>.</summary>
    public Uri BaseUrl => new(_server.BaseUrl);

    /// <summary>The server's origin, with a trailing slash: <c>http://127.0.0.1:PORT/</c>.</summary>
    public Uri Origin => new(_server.Origin);

    /// <summary>
    /// Another host serving the same data: a second listener on 127.0.0.2 (on a machine where that address cannot be
    /// bound, 127.0.0.1 on another port). Foreign-link faults point here by default. It asks for no credentials, injects
    /// no faults, and logs its requests with <see cref="RecordedRequest.IsForeignHost"/> set, so a test can prove that a
    /// client never followed a foreign link, or never sent its token there.
    /// </summary>
    public Uri ForeignOrigin => new(_server.ForeignOrigin);

    /// <summary>The SMART token endpoint: <c>{origin}auth/token</c>.</summary>
    public Uri TokenUrl => new(_server.TokenUrl);

    /// <summary>The settings the server runs with.</summary>
    public FhirTestServerOptions Options => _server.Options;

    /// <summary>The faults to inject, programmable while the server runs.</summary>
    public FaultInjector Faults => _server.Faults;

    /// <summary>The rest-hook notifications the server sends, and the means to send more (heartbeats, gaps, arbitrary ones).</summary>
    public Subscriptions.SubscriptionNotifier Notifier => _server.Notifier;

    /// <summary>
    /// Every request received so far, in the order they were answered (a snapshot). It includes every request whose
    /// answer has started, so a client that has read an answer finds its request here; one still waiting for its answer
    /// (a slow fault) may not be in it yet.
    /// </summary>
    public IReadOnlyList<RecordedRequest> Requests => _server.LoggedRequests();

    /// <summary>Starts a server.</summary>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <param name="ct">Cancels the start.</param>
    /// <returns>The running server; dispose it to stop it.</returns>
    /// <exception cref="InvalidOperationException">A setting is invalid (the message names it).</exception>
    public static async Task<FhirTestServer> StartAsync(FhirTestServerOptions? options = null, CancellationToken ct = default)
    {
        options ??= new FhirTestServerOptions();
        options.Validate();
        if (!options.ForeignListener)
        {
            return await StartAsync(options, null, ct);
        }

        try
        {
            return await StartAsync(options, IPAddress.Parse("127.0.0.2"), ct);
        }
        catch (IOException)
        {
            // 127.0.0.2 is not bound on every machine (macOS); another port on 127.0.0.1 is still another origin.
            return await StartAsync(options, IPAddress.Loopback, ct);
        }
    }

    /// <summary>Forgets the logged requests.</summary>
    public void ClearRequests() => _server.Requests.Clear();

    /// <summary>The number of live (not deleted) resources of a type.</summary>
    /// <param name="resourceType">A resource type the server serves.</param>
    public int ResourceCount(string resourceType) => _server.Store.Count(resourceType);

    /// <summary>
    /// Issues a SMART access token without the JWT exchange, for seeding and for tests that are not about the token
    /// flow. It expires like any other (<see cref="FhirTestServerOptions.TokenLifetime"/>).
    /// </summary>
    /// <param name="clientId">The client the token is for.</param>
    /// <param name="scope">The scope granted.</param>
    /// <exception cref="InvalidOperationException">The server's auth is not <see cref="FhirTestAuthKind.SmartBackend"/>.</exception>
    public string IssueAccessToken(string clientId = "fhirbridge-test", string scope = "system/*.*")
    {
        if (_server.Options.Auth.Kind != FhirTestAuthKind.SmartBackend)
        {
            throw new InvalidOperationException($"This server's auth is {_server.Options.Auth.Kind}; only a SmartBackend server issues tokens.");
        }

        return _server.Tokens.Issue(clientId, scope, _server.Options.TokenLifetime).Value;
    }

    /// <summary>Revokes every SMART access token issued so far: requests using them get 401.</summary>
    public void RevokeAccessTokens() => _server.Tokens.RevokeAll();

    /// <summary>Stops the server: in-flight requests (injected delays included) get at most two seconds.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        using (var timeout = new CancellationTokenSource(StopTimeout))
        {
            await _app.StopAsync(timeout.Token);
        }

        await _app.DisposeAsync();
        await _server.Notifier.DisposeAsync();
        _stopping.Dispose();
    }

    /// <inheritdoc />
    public override string ToString() => _server.BaseUrl;

    private static async Task<FhirTestServer> StartAsync(FhirTestServerOptions options, IPAddress? foreign, CancellationToken ct)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = typeof(FhirTestServer).Assembly.GetName().Name });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0);
            if (foreign is not null)
            {
                kestrel.Listen(foreign, 0);
            }

            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = 512L * 1024 * 1024;
        });
        var app = builder.Build();
        var context = new ServerContext(options);
        var server = new FhirTestServer(app, context);
        context.Stopping = server._stopping.Token;
        var handler = new FhirRequestHandler(context);
        app.Run(handler.HandleAsync);
        try
        {
            await app.StartAsync(ct);
        }
        catch
        {
            await app.DisposeAsync();
            server._stopping.Dispose();
            throw;
        }

        var urls = app.Urls.Select(u => new Uri(u)).ToList();
        var primary = urls.First(u => u.Host == "127.0.0.1");
        context.Origin = primary.GetLeftPart(UriPartial.Authority) + "/";
        var other = urls.FirstOrDefault(u => u != primary);
        if (other is not null)
        {
            context.ForeignOrigin = other.GetLeftPart(UriPartial.Authority) + "/";
            context.ForeignPort = other.Port;
            context.ForeignAddress = IPAddress.Parse(other.Host);
        }
        else
        {
            context.ForeignOrigin = "http://foreign.invalid/";
        }

        return server;
    }
}
