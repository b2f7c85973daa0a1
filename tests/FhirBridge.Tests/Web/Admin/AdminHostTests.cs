using System.Net;
using System.Text.Json;
using FhirBridge.Cli.Configuration;
using FhirBridge.Cli.Web.Admin;
using FhirBridge.Storage;
using FhirBridge.Storage.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FhirBridge.Tests.Web.Admin;

/// <summary>
/// The admin endpoints on Kestrel (127.0.0.1, a free port) over a real SQLite store holding a dead letter: the session
/// cookie's attributes, replay through the page's form (same origin only) and through the API.
/// </summary>
public sealed class AdminHostTests : IAsyncLifetime
{
    private const string Password = "host-test admin password";
    private const string ApiKey = "host-test-api-key-0123456789abcdef0123456";
    private readonly string _dir = Directory.CreateTempSubdirectory("fhirbridge-admin-host-").FullName;
    private SqliteStateStore _store = null!;
    private WebApplication _app = null!;
    private Uri _base = null!;
    private long _dead;

    public async Task InitializeAsync()
    {
        _store = new SqliteStateStore(Path.Combine(_dir, "state.db"));
        await _store.MigrateAsync(default);
        await _store.CommitRecomputeAsync("a", "p1", null, [], [new("subject-1", "{\"resourceType\":\"Bundle\"}")], [], default);
        _dead = (await _store.GetPendingOutboxAsync(1, default))[0].Id;
        await _store.MarkOutboxFailedAsync(_dead, "422: ResearchSubject.assignedArm: not an arm of this registry", dead: true, default);

        var options = new FhirBridgeOptions
        {
            Sources = [new SourceOptions { Name = "a", Path = _dir }],
            Admin = new AdminOptions { PasswordHash = AdminPassword.Hash(Password, AdminPassword.MinimumIterations), ApiKeys = [ApiKey] },
        };
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IStateStore>(_store);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(Microsoft.Extensions.Options.Options.Create(options));
        AdminEndpoints.AddServices(builder.Services, builder.Configuration);
        _app = builder.Build();
        AdminEndpoints.Map(_app);
        await _app.StartAsync();
        _base = new Uri(_app.Urls.First());
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private HttpClient Client() => new(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = _base };

    private string Origin => _base.GetLeftPart(UriPartial.Authority);

    private async Task<string> SignInAsync(HttpClient client)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/admin/sign-in")
        {
            Content = new FormUrlEncodedContent([new("username", "admin"), new("password", Password), new("next", "/admin/dead-letters")]),
        };
        request.Headers.Add("Origin", Origin);
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/admin/dead-letters", response.Headers.Location!.OriginalString);
        return Assert.Single(response.Headers.GetValues("Set-Cookie"));
    }

    [Fact]
    public async Task SignIn_SetsASecureHttpOnlyStrictCookie()
    {
        using var client = Client();

        var cookie = (await SignInAsync(client)).ToLowerInvariant();

        Assert.StartsWith("__host-fhirbridge-admin=", cookie, StringComparison.Ordinal);
        Assert.Contains("; secure", cookie, StringComparison.Ordinal);
        Assert.Contains("; httponly", cookie, StringComparison.Ordinal);
        Assert.Contains("; samesite=strict", cookie, StringComparison.Ordinal);
        Assert.Contains("; path=/", cookie, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignIn_WrongPassword_Is401WithTheFormAndNoCookie()
    {
        using var client = Client();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/admin/sign-in")
        {
            Content = new FormUrlEncodedContent([new("username", "admin"), new("password", "not it")]),
        };
        request.Headers.Add("Origin", Origin);

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie"));
        Assert.Contains("Wrong user name or password.", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReplayForm_SameOrigin_MarksTheDeadLettersPatientForRecompute()
    {
        using var client = Client();
        var cookie = (await SignInAsync(client)).Split(';')[0];
        using var page = new HttpRequestMessage(HttpMethod.Get, "/admin/dead-letters");
        page.Headers.Add("Cookie", cookie);
        using var list = await client.SendAsync(page);
        Assert.Contains($"action=\"/admin/dead-letters/{_dead}/replay\"", await list.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var replay = new HttpRequestMessage(HttpMethod.Post, $"/admin/dead-letters/{_dead}/replay");
        replay.Headers.Add("Cookie", cookie);
        replay.Headers.Add("Origin", Origin);
        using var response = await client.SendAsync(replay);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains("recomputes%20its%20patient", response.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.Equal("p1", Assert.Single(await _store.GetDirtyPatientsAsync("a", 10, default)).Patient);
        Assert.NotNull((await _store.GetOutboxItemAsync(_dead, default))!.ReplayedAt);
    }

    [Fact]
    public async Task ReplayForm_FromAnotherOrigin_Is403AndReplaysNothing()
    {
        using var client = Client();
        var cookie = (await SignInAsync(client)).Split(';')[0];
        using var replay = new HttpRequestMessage(HttpMethod.Post, $"/admin/dead-letters/{_dead}/replay");
        replay.Headers.Add("Cookie", cookie);
        replay.Headers.Add("Origin", "https://attacker.example");

        using var response = await client.SendAsync(replay);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty(await _store.GetDirtyPatientsAsync("a", 10, default));
        Assert.Null((await _store.GetOutboxItemAsync(_dead, default))!.ReplayedAt);
    }

    [Fact]
    public async Task ReplayApi_WithTheKey_ReplaysOnce_ThenSaysWhyNot()
    {
        using var client = Client();
        client.DefaultRequestHeaders.Add("Authorization", "Bearer " + ApiKey);

        using var first = await client.PostAsync(new Uri($"/admin/api/dead-letters/{_dead}/replay", UriKind.Relative), null);
        using var second = await client.PostAsync(new Uri($"/admin/api/dead-letters/{_dead}/replay", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using var replayed = JsonDocument.Parse(await first.Content.ReadAsStringAsync());
        Assert.Equal((_dead, true), (replayed.RootElement.GetProperty("id").GetInt64(), replayed.RootElement.GetProperty("replayed").GetBoolean()));
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Contains("was replayed already", await second.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Session_ForgedCookie_Is401()
    {
        using var client = Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin");
        request.Headers.Add("Cookie", AdminSession.CookieName + "=99999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
