using System.Net;
using System.Text.Json;

namespace FhirBridge.BrowserTests;

/// <summary>
/// Every admin route refuses a request without credentials (401), whatever its method; the routes are the app's own,
/// listed from its endpoint data source, so a route added later is checked too. An API key opens the API.
/// </summary>
public sealed class AdminAuthenticationTests(FhirbridgeService service) : IClassFixture<FhirbridgeService>
{
    [Fact]
    public async Task EveryAdminRoute_WithoutCredentials_Is401()
    {
        using var api = service.ApiClient();
        using var routes = JsonDocument.Parse(await api.GetStringAsync(new Uri("/admin/api/routes", UriKind.Relative)));
        var admin = routes.RootElement.EnumerateArray()
            .Select(r => (Pattern: r.GetProperty("pattern").GetString()!, Methods: r.GetProperty("methods").EnumerateArray().Select(m => m.GetString()!).ToList()))
            .Where(r => r.Pattern.StartsWith("/admin", StringComparison.Ordinal))
            .ToList();

        // The pages, the API and the sign-in and replay routes: a floor, so an empty list cannot pass.
        Assert.True(admin.Count >= 15, string.Join(", ", admin.Select(a => a.Pattern)));
        Assert.Contains(admin, a => a.Pattern == "/admin/dead-letters/{id:long}/replay");

        using var anonymous = service.Client();
        var checkedRequests = 0;
        foreach (var (pattern, methods) in admin)
        {
            var path = System.Text.RegularExpressions.Regex.Replace(pattern, @"\{[^}]+\}", "1");
            foreach (var method in methods.Count == 0 ? ["GET"] : methods)
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), path);
                if (method != "GET")
                {
                    request.Content = new FormUrlEncodedContent([new("username", "admin"), new("password", "wrong")]);
                    request.Headers.Add("Origin", service.BaseUrl.GetLeftPart(UriPartial.Authority));
                }

                using var response = await anonymous.SendAsync(request);
                Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path}: {(int)response.StatusCode}");
                checkedRequests++;
            }
        }

        // And a path no route has.
        using var unknown = await anonymous.GetAsync(new Uri("/admin/no-such-page", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.True(checkedRequests >= admin.Count);
    }

    [Fact]
    public async Task Page_WithoutCredentials_Is401WithTheSignInForm_NotARedirect()
    {
        using var anonymous = service.Client();

        using var response = await anonymous.GetAsync(new Uri("/admin/log?decision=excluded", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("<form method=\"post\" action=\"/admin/sign-in\"", html, StringComparison.Ordinal);
        Assert.Contains("value=\"/admin/log?decision=excluded\"", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("X-Api-Key", FhirbridgeService.ApiKey)]
    [InlineData("Authorization", "Bearer " + FhirbridgeService.ApiKey)]
    public async Task Api_WithTheKey_Answers(string header, string value)
    {
        using var client = service.Client();
        client.DefaultRequestHeaders.Add(header, value);

        using var response = await client.GetAsync(new Uri("/admin/api/unmapped", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(json.RootElement.GetArrayLength() > 0);
    }

    [Fact]
    public async Task Api_WithAWrongKey_Is401()
    {
        using var client = service.Client();
        client.DefaultRequestHeaders.Add("X-Api-Key", FhirbridgeService.ApiKey[..^1] + "x");

        using var response = await client.GetAsync(new Uri("/admin/api/status", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task SignIn_FromAnotherOrigin_IsRefused()
    {
        using var anonymous = service.Client();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/admin/sign-in")
        {
            Content = new FormUrlEncodedContent([new("username", "admin"), new("password", FhirbridgeService.Password)]),
        };
        request.Headers.Add("Origin", "https://attacker.example");

        using var response = await anonymous.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }
}
