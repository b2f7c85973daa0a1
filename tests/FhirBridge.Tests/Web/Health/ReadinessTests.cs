using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using FhirBridge.TestServer;
using FhirBridge.Tests.Cli;
using FhirBridge.Tests.Push;

namespace FhirBridge.Tests.Web.Health;

/// <summary>
/// <c>/health/live</c> and <c>/health/ready</c> of the real service: 200 when the store, every source and the registry
/// are fine, 503 naming the part that is not, the FHIR registry's metadata probe cached, and nothing of the patients in
/// the answer.
/// </summary>
public sealed class ReadinessTests : IDisposable
{
    private const string Key = "readiness-key-0123456789abcdef";
    private readonly string _dir = Directory.CreateTempSubdirectory("fhirbridge-ready-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Fixture => Path.Combine(Fhirbridge.FixturesDirectory, "hospital-a").Replace("\\", "/", StringComparison.Ordinal);

    private string Config(string source, string registry, string? health = null)
    {
        var file = Path.Combine(_dir, "appsettings.json");
        File.WriteAllText(file, $$"""
            { "FhirBridge": {
                "Sources": [ {{source}} ],
                "Registry": {{registry}},
                "Storage": { "ConnectionString": "state/state.db" }{{(health is null ? "" : $", \"Health\": {health}")}} } }
            """);
        return file;
    }

    private static Task<ServiceProcess> StartAsync(string config) =>
        ServiceProcess.StartAsync(config, new Dictionary<string, string> { ["FhirBridge__Pseudonymization__Key"] = Key });

    private static async Task<(HttpStatusCode Status, string Body, JsonElement Json)> ReadyAsync(ServiceProcess service)
    {
        using var response = await service.Http.GetAsync(new Uri(service.BaseUrl, "health/ready"));
        var body = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, body, JsonDocument.Parse(body).RootElement.Clone());
    }

    /// <summary>Asks until <paramref name="until"/> holds (the first run happens at start, in the background).</summary>
    private static async Task<(HttpStatusCode Status, string Body, JsonElement Json)> ReadyWhenAsync(ServiceProcess service, Func<JsonElement, bool> until)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (true)
        {
            var answer = await ReadyAsync(service);
            if (until(answer.Json) || DateTime.UtcNow > deadline)
            {
                return answer;
            }

            await Task.Delay(250);
        }
    }

    private static string SourceStatus(JsonElement json) => json.GetProperty("sources")[0].GetProperty("status").GetString()!;

    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task Ready_AfterTheFirstRun_200EveryCheckOk_NoPatientDataInTheAnswer()
    {
        var config = Config($$"""{ "Name": "hospital-a", "Kind": "Directory", "Path": "{{Fixture}}" }""", """{ "Kind": "Directory", "Path": "registry" }""");
        await using var service = await StartAsync(config);

        var live = await service.Http.GetStringAsync(new Uri(service.BaseUrl, "health/live"));
        var (status, body, json) = await ReadyWhenAsync(service, j => SourceStatus(j) != "not-run-yet");

        Assert.Equal("live", live);
        Assert.True(status == HttpStatusCode.OK, body + "\n" + service.Log);
        Assert.Equal("ready", json.GetProperty("status").GetString());
        Assert.Equal("ok", json.GetProperty("store").GetProperty("status").GetString());
        Assert.Equal("ok", json.GetProperty("registry").GetProperty("status").GetString());
        Assert.Equal("hospital-a", json.GetProperty("sources")[0].GetProperty("name").GetString());
        Assert.Equal("ok", SourceStatus(json));
        Assert.Equal(0, json.GetProperty("sources")[0].GetProperty("failuresInARow").GetInt32());

        // The fixture's patients carry "phi" in their names, MRN and address.
        Assert.DoesNotContain("phi", body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Patient", body, StringComparison.Ordinal);
        Assert.DoesNotContain("phi", service.Log, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Ready_SourceFailingMaxConsecutiveFailuresRunsInARow_503NamingTheSource()
    {
        var dead = $"http://127.0.0.1:{UnusedPort()}/fhir";
        var config = Config(
            $$"""{ "Name": "down", "Kind": "Rest", "BaseUrl": "{{dead}}", "Schedule": "0/1 * * * * ?" }""",
            """{ "Kind": "Directory", "Path": "registry" }""",
            """{ "MaxConsecutiveFailures": 2 }""");
        await using var service = await StartAsync(config);

        var (status, body, json) = await ReadyWhenAsync(service, j => SourceStatus(j) == "failing");

        Assert.True(status == HttpStatusCode.ServiceUnavailable, body + "\n" + service.Log);
        Assert.Equal("not-ready", json.GetProperty("status").GetString());
        Assert.Equal("failing", SourceStatus(json));
        Assert.True(json.GetProperty("sources")[0].GetProperty("failuresInARow").GetInt32() >= 2, body);
        Assert.Equal("ok", json.GetProperty("store").GetProperty("status").GetString());

        // Unauthenticated: the source's error text (URLs, server messages) stays in the log, not in the answer.
        Assert.DoesNotContain("127.0.0.1", body, StringComparison.Ordinal);
    }

    [InProcessRegistryFact]
    public async Task Ready_FhirRegistry_MetadataAskedOnceWithinRegistryCheckSeconds()
    {
        await using var registry = await FhirTestTarget.CreateRegistryAsync();
        var config = Config(
            $$"""{ "Name": "hospital-a", "Kind": "Directory", "Path": "{{Fixture}}" }""",
            $$"""{ "Kind": "Fhir", "BaseUrl": "{{registry.BaseUrl}}" }""",
            """{ "RegistryCheckSeconds": 600 }""");
        await using var service = await StartAsync(config);

        var answers = new List<(HttpStatusCode Status, string Body, JsonElement Json)>();
        for (var i = 0; i < 5; i++)
        {
            answers.Add(await ReadyAsync(service));
        }

        Assert.All(answers, a => Assert.Equal("ok", a.Json.GetProperty("registry").GetProperty("status").GetString()));
        Assert.Single(registry.Server!.Requests, r => r.PathAndQuery.EndsWith("/metadata", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Ready_FhirRegistryUnreachable_503NamingTheRegistry()
    {
        var config = Config(
            $$"""{ "Name": "hospital-a", "Kind": "Directory", "Path": "{{Fixture}}" }""",
            $$"""{ "Kind": "Fhir", "BaseUrl": "http://127.0.0.1:{{UnusedPort()}}/fhir" }""");
        await using var service = await StartAsync(config);

        var (status, body, json) = await ReadyAsync(service);

        Assert.True(status == HttpStatusCode.ServiceUnavailable, body);
        Assert.Equal("failing", json.GetProperty("registry").GetProperty("status").GetString());
        Assert.Equal("ok", json.GetProperty("store").GetProperty("status").GetString());
    }
}
