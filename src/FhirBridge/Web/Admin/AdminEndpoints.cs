using System.Globalization;
using System.Text.Json;
using FhirBridge.Cli.Configuration;
using FhirBridge.Reporting;
using FhirBridge.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace FhirBridge.Cli.Web.Admin;

/// <summary>
/// The admin surface for registry admins (issue 5, docs/admin.md): server-rendered pages under <c>/admin</c> and JSON
/// under <c>/admin/api</c>. Every request under <c>/admin</c> passes <see cref="GateAsync"/> first: without a valid
/// session cookie or API key it is answered 401 (the sign-in form for pages, JSON for the API), whatever the route,
/// so a route added later cannot be reached unauthenticated.
/// </summary>
public static class AdminEndpoints
{
    private const string Root = "/admin";
    private const string ApiRoot = "/admin/api";
    private const int PageSize = 50;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Registers what the endpoints need.</summary>
    public static void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        _ = configuration;

        // In the service, what the last keep-alive found; in a host without the subscriptions part, the settings.
        services.TryAddSingleton<ISubscriptionStatusProvider>(sp => sp.GetService<Service.SourceSubscriptions>() is { } subscriptions
            ? new SubscriptionStatus(subscriptions)
            : new ConfiguredSubscriptionStatus(Options(sp)));
        services.AddSingleton(sp => new AdminApiKeys(Options(sp).Admin.ApiKeys));
        services.AddSingleton(sp => new AdminSession(sp.GetRequiredService<TimeProvider>(), TimeSpan.FromMinutes(Options(sp).Admin.SessionMinutes)));
        services.AddSingleton(sp => new AdminData(sp.GetRequiredService<IStateStore>(), Options(sp), sp.GetRequiredService<ISubscriptionStatusProvider>(), sp.GetRequiredService<TimeProvider>()));
        services.AddHostedService<AdminStartupNotice>();
    }

    /// <summary>Maps the endpoints.</summary>
    public static void Map(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseWhen(c => c.Request.Path.StartsWithSegments(Root, StringComparison.OrdinalIgnoreCase), branch => branch.Use(GateAsync));

        app.MapGet("/admin/sign-in", (HttpContext c) => Results.Redirect(Root, preserveMethod: false));
        app.MapPost("/admin/sign-in", SignInAsync);
        app.MapPost("/admin/sign-out", (HttpContext c) =>
        {
            AdminSession.Clear(c.Response);
            return Results.Redirect("/admin/sign-in");
        });

        app.MapGet("/admin", async (AdminData data, CancellationToken ct) => Html("Overview", Root, AdminPages.Overview(await data.StatusAsync(ct))));
        app.MapGet("/admin/log", async (HttpRequest request, AdminData data, IOptions<FhirBridgeOptions> options, CancellationToken ct) =>
        {
            if (LogQuery(request, out var query) is { } problem)
            {
                return Results.BadRequest(problem);
            }

            var page = await data.Store.QueryMappingLogAsync(query, ct);
            return Html("Mapping log", "/admin/log", AdminPages.Log(query, page, options.Value.Sources.Select(s => s.Name), offset => PageLink(request, offset)));
        });
        app.MapGet("/admin/unmapped", async (AdminData data, CancellationToken ct) => Html("Unmapped codes", "/admin/unmapped", AdminPages.Unmapped(await data.UnmappedAsync(ct))));
        app.MapGet("/admin/unmapped/conceptmap.json", async (AdminData data, TimeProvider clock, CancellationToken ct) =>
            Results.File(System.Text.Encoding.UTF8.GetBytes(ConceptMapSkeleton.Build(await data.UnmappedAsync(ct), clock.GetUtcNow())), "application/fhir+json", "fhirbridge-unmapped-conceptmap.json"));
        app.MapGet("/admin/chart", async (AdminData data, CancellationToken ct) => Html("Quality chart", "/admin/chart", AdminPages.Chart(await data.ChartAsync(ct))));
        app.MapGet("/admin/chart.svg", async (AdminData data, CancellationToken ct) => Results.Text(QualityChartSvg.Render(await data.ChartAsync(ct)), "image/svg+xml"));
        app.MapGet("/admin/dead-letters", async (HttpRequest request, AdminData data, CancellationToken ct) =>
            Html("Dead letters", "/admin/dead-letters", AdminPages.DeadLetters(await data.Store.GetOutboxAsync(OutboxState.Dead, 1000, ct), request.Query["message"].FirstOrDefault())));
        app.MapPost("/admin/dead-letters/{id:long}/replay", async (long id, AdminData data, CancellationToken ct) =>
        {
            var replay = await data.Store.ReplayOutboxAsync(id, ct);
            var message = replay.Refusal ?? string.Create(CultureInfo.InvariantCulture, $"dead letter {id} replayed: the next run of source {replay.Source} recomputes its patient and sends the subject's records as they are then");
            return Results.Redirect("/admin/dead-letters?message=" + Uri.EscapeDataString(message));
        });

        var api = app.MapGroup(ApiRoot);
        api.MapGet("/status", async (AdminData data, CancellationToken ct) => Results.Json(await data.StatusAsync(ct), Json));
        api.MapGet("/log", async (HttpRequest request, AdminData data, CancellationToken ct) =>
            LogQuery(request, out var query) is { } problem ? Results.BadRequest(new { error = problem }) : Results.Json(await data.Store.QueryMappingLogAsync(query, ct), Json));
        api.MapGet("/unmapped", async (AdminData data, CancellationToken ct) => Results.Json(await data.UnmappedAsync(ct), Json));
        api.MapGet("/chart", async (AdminData data, CancellationToken ct) => Results.Json(await data.ChartAsync(ct), Json));
        api.MapGet("/dead-letters", async (AdminData data, CancellationToken ct) =>
            Results.Json((await data.Store.GetOutboxAsync(OutboxState.Dead, 1000, ct)).Select(i => new { i.Id, i.Source, i.SubjectKey, i.Attempts, i.DeadAt, i.LastError, i.ReplayedBy, i.ReplayedAt }), Json));
        api.MapPost("/dead-letters/{id:long}/replay", async (long id, AdminData data, CancellationToken ct) =>
        {
            var replay = await data.Store.ReplayOutboxAsync(id, ct);
            return replay.Refusal is { } refusal ? Results.Conflict(new { error = refusal }) : Results.Json(replay, Json);
        });

        // Every route the app has, from its own endpoint data source: the tests walk this list to check that none
        // under /admin answers without authentication.
        api.MapGet("/routes", (EndpointDataSource endpoints) => Results.Json(
            endpoints.Endpoints.OfType<RouteEndpoint>()
                .Select(e => new { pattern = "/" + e.RoutePattern.RawText?.TrimStart('/'), methods = e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [] })
                .OrderBy(e => e.pattern, StringComparer.Ordinal),
            Json));
    }

    /// <summary>Lets through a signed-in admin or a request with an API key; answers everything else 401.</summary>
    private static async Task GateAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        var options = Options(context.RequestServices).Admin;
        var isApi = request.Path.StartsWithSegments(ApiRoot, StringComparison.OrdinalIgnoreCase);
        var byKey = context.RequestServices.GetRequiredService<AdminApiKeys>().Accepts(request);
        var bySession = !byKey && !string.IsNullOrWhiteSpace(options.PasswordHash) && context.RequestServices.GetRequiredService<AdminSession>().IsValid(request);
        var signingIn = HttpMethods.IsPost(request.Method) && request.Path.Equals("/admin/sign-in", StringComparison.OrdinalIgnoreCase);

        // CSRF: the cookie is SameSite=Strict, and a form POST must also come from this origin (API-key requests carry
        // no ambient credential, so they need no such check).
        if ((bySession || signingIn) && !HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method) && !SameOrigin(request))
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await context.Response.WriteAsync("cross-origin form posts are refused");
            return;
        }

        if (byKey || bySession || (signingIn && !string.IsNullOrWhiteSpace(options.PasswordHash)))
        {
            await next(context);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        if (isApi || byKey)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await context.Response.WriteAsJsonAsync(new { error = "authentication required: send X-Api-Key or Authorization: Bearer with a key from FhirBridge:Admin:ApiKeys" });
            return;
        }

        var nextPage = HttpMethods.IsGet(request.Method) && !request.Path.Equals("/admin/sign-in", StringComparison.OrdinalIgnoreCase)
            ? request.Path + request.QueryString
            : Root;
        context.Response.ContentType = "text/html; charset=utf-8";
        await context.Response.WriteAsync(AdminHtml.SignIn(nextPage, null, options.Enabled));
    }

    private static async Task<IResult> SignInAsync(HttpContext context, IOptions<FhirBridgeOptions> options, AdminSession session)
    {
        var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync(context.RequestAborted) : null;
        var user = form?["username"].ToString() ?? "";
        var password = form?["password"].ToString() ?? "";
        var next = form?["next"].ToString();

        // Only a local admin path, so the form cannot be used to send a signed-in admin elsewhere.
        if (next is null || !next.StartsWith(Root, StringComparison.Ordinal) || next.StartsWith("//", StringComparison.Ordinal) || next.Contains('\\', StringComparison.Ordinal))
        {
            next = Root;
        }

        // The hash is always computed, so a wrong user name takes as long as a wrong password.
        var passwordMatches = AdminPassword.Verify(password, options.Value.Admin.PasswordHash ?? "");
        if (user == "admin" && passwordMatches)
        {
            session.Issue(context.Response);
            return Results.Redirect(next);
        }

        return Results.Content(AdminHtml.SignIn(next, "Wrong user name or password.", options.Value.Admin.Enabled), "text/html; charset=utf-8", null, StatusCodes.Status401Unauthorized);
    }

    private static bool SameOrigin(HttpRequest request)
    {
        var expected = request.Scheme + "://" + request.Host.Value;
        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0)
        {
            return string.Equals(origin, expected, StringComparison.OrdinalIgnoreCase);
        }

        return Uri.TryCreate(request.Headers.Referer.ToString(), UriKind.Absolute, out var referer)
            && string.Equals(referer.GetLeftPart(UriPartial.Authority), expected, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Reads the log filters from the query string; returns what is wrong, or null.</summary>
    private static string? LogQuery(HttpRequest request, out MappingLogQuery query)
    {
        string? Text(string name) => request.Query[name].FirstOrDefault() is { Length: > 0 } v ? v.Trim() : null;
        query = new MappingLogQuery();
        DateTimeOffset? from = null, to = null;
        if (Text("from") is { } f)
        {
            if (!DateTimeOffset.TryParse(f, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                return "from must be a date or an ISO 8601 instant";
            }

            from = parsed;
        }

        if (Text("to") is { } t)
        {
            if (!DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                return "to must be a date or an ISO 8601 instant";
            }

            to = parsed;
        }

        var offset = 0;
        if (Text("offset") is { } o && (!int.TryParse(o, NumberStyles.None, CultureInfo.InvariantCulture, out offset) || offset < 0))
        {
            return "offset must be a number of entries";
        }

        var limit = PageSize;
        if (Text("limit") is { } l && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 1000))
        {
            return "limit must be 1-1000";
        }

        query = new MappingLogQuery
        {
            Source = Text("source"),
            ResourceType = Text("type"),
            Decision = Text("decision"),
            Reason = Text("reason"),
            Code = Text("code"),
            From = from,
            To = to,
            Offset = offset,
            Limit = limit,
        };
        return null;
    }

    private static string PageLink(HttpRequest request, int offset)
    {
        var parameters = request.Query.Where(q => q.Key != "offset").SelectMany(q => q.Value.Select(v => Uri.EscapeDataString(q.Key) + "=" + Uri.EscapeDataString(v ?? "")));
        return "/admin/log?" + string.Join("&", parameters.Append(string.Create(CultureInfo.InvariantCulture, $"offset={offset}")));
    }

    private static IResult Html(string title, string current, string body) =>
        Results.Content(AdminHtml.Page(title, current, body), "text/html; charset=utf-8");

    private static FhirBridgeOptions Options(IServiceProvider services) => services.GetRequiredService<IOptions<FhirBridgeOptions>>().Value;
}
