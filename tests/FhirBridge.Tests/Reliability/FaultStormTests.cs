using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using FhirBridge.Tests.Cli;
using FhirBridge.TestServer;

namespace FhirBridge.Tests.Reliability;

/// <summary>
/// A storm of failures from both servers at once, placed by a seeded generator: from the hospital 429s with
/// Retry-After, a burst of 503s, connection resets, answers slower than the timeout, bodies cut short and expired
/// tokens; from the registry a burst of 503s, 500s, 429s, resets and timeouts after it committed, and a 412. Runs go
/// on until the storm is over; then the registry holds exactly what a clean run gives, nothing lost, nothing twice.
/// </summary>
public sealed partial class FaultStormTests : IAsyncLifetime
{
    private const string ClientId = "fhirbridge-storm";
    private readonly string _dir = Directory.CreateTempSubdirectory("fhirbridge-storm-").FullName;
    private readonly RSA _key = RSA.Create(2048);
    private FhirTestTarget _hospital = null!;
    private FhirTestTarget _registry = null!;
    private FhirTestTarget _reference = null!;

    public async Task InitializeAsync()
    {
        var options = new FhirTestServerOptions { Auth = FhirTestAuth.SmartBackend };
        options.RegisterSmartClient(ClientId, _key);
        _hospital = await FhirTestTarget.StartInProcessAsync(options);
        await ReliabilityRun.SeedAsync(_hospital, patients: 80, seed: 31, _dir);
        _registry = await FhirTestTarget.StartInProcessAsync();
        _reference = await FhirTestTarget.StartInProcessAsync();
    }

    public async Task DisposeAsync()
    {
        await _hospital.DisposeAsync();
        await _registry.DisposeAsync();
        await _reference.DisposeAsync();
        _key.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [InProcessServersFact]
    public async Task Storm_FromHospitalAndRegistry_RunsFinishOnceItStops_NothingLostOrDuplicated()
    {
        var pem = Path.Combine(_dir, "client.pem");
        await File.WriteAllTextAsync(pem, _key.ExportPkcs8PrivateKeyPem());
        var auth = $$"""{ "Kind": "SmartBackend", "ClientId": "{{ClientId}}", "TokenUrl": "{{_hospital.Server!.TokenUrl}}", "PrivateKeyFile": "{{pem}}" }""";
        var hospitals = new[] { ("hospital", _hospital.BaseUrl) };
        ReliabilityRun.RunOnce(ReliabilityRun.Config(Path.Combine(_dir, "clean"), hospitals, _reference.BaseUrl, sourceAuth: auth));
        var expected = await RegistrySnapshot.TakeAsync(_reference);
        Assert.True(expected.Count("ResearchSubject") > 40, "the hospital should give dozens of subjects");

        var rules = Storm(_hospital.Server, _registry.Server!, new Random(20261123));
        var config = ReliabilityRun.Config(Path.Combine(_dir, "storm"), hospitals, _registry.BaseUrl, registryTimeoutSeconds: 2, sourceTimeoutSeconds: 2, sourceAuth: auth);
        var runs = new List<Fhirbridge.Result>();
        for (var stormOver = false; !stormOver;)
        {
            if (runs.Count == 12)
            {
                Assert.Fail($"the runs did not finish after the storm: {runs.Count} runs; faults left: {string.Join("; ", rules.Where(r => !r.IsExhausted))}; last: {runs[^1].Stdout}{runs[^1].Stderr}");
            }

            var revoke = runs.Count == 0 ? RevokeTokensAfterAsync(TimeSpan.FromSeconds(3)) : Task.CompletedTask; // a token expires mid-run
            var run = Fhirbridge.Run(ReliabilityRun.Environment, "run", "--once", "--config", config, "--as-of", ReliabilityRun.AsOf);
            await revoke;
            runs.Add(run);
            stormOver = rules.All(r => r.IsExhausted) && run.ExitCode == 0 && run.Stdout.Contains(", 0 pending", StringComparison.Ordinal);
        }

        // The 412 is the registry refusing a change set for good: it waits in the dead letters until an admin
        // replays it, and is lost neither way.
        Assert.Equal(1, runs.Sum(r => int.Parse(DeadLetters().Match(r.Stdout).Groups[1].Value, CultureInfo.InvariantCulture)));
        var dead = Fhirbridge.Run(ReliabilityRun.Environment, "outbox", "list", "--state", "dead", "--config", config);
        Assert.Contains("more than one match", dead.Stdout, StringComparison.Ordinal);
        var replay = Fhirbridge.Run(ReliabilityRun.Environment, "outbox", "replay", "--all", "--config", config);
        Assert.True(replay.ExitCode == 0, replay.Stdout + replay.Stderr);
        Assert.Contains("0 dead letters, 0 pending", ReliabilityRun.RunOnce(config).Stdout, StringComparison.Ordinal);

        Assert.True(runs.Count >= 2, "the storm should have failed at least one run");
        Assert.All(rules, r => Assert.Equal(r.Times, r.Fired));
        (await RegistrySnapshot.TakeAsync(_registry)).AssertEquals(expected);
    }

    [GeneratedRegex(@"; (\d+) dead letters, \d+ pending")]
    private static partial Regex DeadLetters();

    private async Task RevokeTokensAfterAsync(TimeSpan delay)
    {
        await Task.Delay(delay);
        _hospital.Server!.RevokeAccessTokens();
    }

    /// <summary>The storm: each fault at a seeded place among the requests it can hit.</summary>
    private static List<FaultRule> Storm(FhirTestServer hospital, FhirTestServer registry, Random random)
    {
        FaultRule Page(Fault fault, int times = 1) => hospital.Faults.Enqueue(fault, FhirInteraction.SearchPage, times: times, skip: random.Next(0, 12));
        FaultRule Search(Fault fault, int times = 1) => hospital.Faults.Enqueue(fault, FhirInteraction.Search, times: times, skip: random.Next(0, 6));
        FaultRule Transaction(Fault fault, int times = 1) => registry.Faults.Enqueue(fault, FhirInteraction.Transaction, times: times, skip: random.Next(0, 50));
        return
        [
            Page(Fault.TooManyRequests(1)),
            Search(Fault.TooManyRequests(1)),
            Page(Fault.ServiceUnavailable(), times: 6), // a burst longer than the retries
            Page(Fault.ConnectionReset()),
            Search(Fault.ConnectionReset()),
            Page(Fault.Slow(TimeSpan.FromSeconds(4))), // slower than the source's 2-second timeout
            Page(Fault.MalformedJson()), // the body cut short
            Search(Fault.MalformedJson()),
            Page(Fault.Unauthorized()), // an expired token
            Transaction(Fault.Status(503), times: 4),
            Transaction(Fault.Status(500)),
            Transaction(Fault.TooManyRequests(1)),
            Transaction(Fault.ConnectionReset(afterProcessing: true)),
            Transaction(Fault.Slow(TimeSpan.FromSeconds(5), afterProcessing: true)), // committed, then slower than the 2-second timeout
            Transaction(Fault.Status(412, "Precondition failed: more than one match")),
        ];
    }
}
