using FhirBridge.TestServer.Postgres;

namespace FhirBridge.Tests.Cli;

/// <summary><c>run --once</c> and the state-reading commands with the state in PostgreSQL.</summary>
public sealed class RunOnPostgresTests : IDisposable
{
    private const string Password = "pw-never-printed-0123";
    private readonly string _dir = Directory.CreateTempSubdirectory("fhirbridge-run-pg-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [PostgresFact]
    public async Task RunOnce_StateInPostgres_SecondRunSendsNothing_AndNoLineShowsThePassword()
    {
        await using var database = await TestDatabase.CreateAsync();
        var config = Path.Combine(_dir, "appsettings.json");
        File.WriteAllText(config, $$"""
            { "FhirBridge": {
                "Sources": [ { "Name": "hospital-a", "Kind": "Directory", "Path": "{{Path.Combine(Fhirbridge.FixturesDirectory, "hospital-a")}}" } ],
                "Registry": { "Kind": "Directory", "Path": "registry" },
                "Storage": { "Provider": "PostgreSql", "ConnectionString": "{{database.ConnectionString}};Password={{Password}}" } } }
            """);
        var environment = new Dictionary<string, string> { ["FhirBridge__Pseudonymization__Key"] = "test-key-0123456789abcdef" };

        var first = Fhirbridge.Run(environment, "run", "--once", "--config", config, "--as-of", "2026-01-01T00:00:00Z");
        var second = Fhirbridge.Run(environment, "run", "--once", "--config", config, "--as-of", "2026-01-01T00:00:00Z");
        var status = Fhirbridge.Run(environment, "status", "--config", config);

        Assert.True(first.ExitCode == 0, first.Stdout + first.Stderr);
        Assert.Contains($"state      PostgreSQL 127.0.0.1:", first.Stdout, StringComparison.Ordinal);
        Assert.Contains("/" + database.Name, first.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("registry   0 change sets", first.Stdout, StringComparison.Ordinal);
        Assert.Contains("registry   0 change sets", second.Stdout, StringComparison.Ordinal);
        Assert.True(status.ExitCode == 0, status.Stdout + status.Stderr);
        Assert.Contains("hospital-a", status.Stdout, StringComparison.Ordinal);
        Assert.All(new[] { first, second, status }, r => Assert.DoesNotContain(Password, r.Stdout + r.Stderr, StringComparison.Ordinal));
    }
}
