using System.Diagnostics;
using FhirBridge.Storage;
using FhirBridge.Storage.Sqlite;
using FhirBridge.TestServer;

namespace FhirBridge.Tests.Reliability;

/// <summary>
/// Twenty <c>SIGKILL</c>s of one instance at random points of its runs, each followed by a restart, while new patients
/// keep arriving at the hospital (so every run has pulling, recomputing and pushing to do): the registry ends holding
/// exactly what one clean run over the final data gives, every record once. The hospital is the in-process server or
/// <c>FHIRBRIDGE_TEST_FHIR_URL</c>; the registry killed into is the in-process one or <c>FHIRBRIDGE_TEST_REGISTRY_URL</c>;
/// the clean run's registry is always an in-process one (the reference).
/// </summary>
public sealed class RandomKillTests : IAsyncLifetime
{
    private const int Kills = 20;
    private readonly string _dir = Directory.CreateTempSubdirectory("fhirbridge-kills-").FullName;
    private FhirTestTarget _hospital = null!;
    private FhirTestTarget _registry = null!;
    private FhirTestTarget _reference = null!;
    private IReadOnlyList<string> _arrivals = null!;

    public async Task InitializeAsync()
    {
        _hospital = await FhirTestTarget.CreateAsync();
        _arrivals = ReliabilityRun.WriteInParts(patients: 210, seed: 21, parts: Kills + 1, _dir);
        _registry = await FhirTestTarget.CreateRegistryAsync();
        _reference = await FhirTestTarget.StartInProcessAsync();
    }

    public async Task DisposeAsync()
    {
        await _hospital.DisposeAsync();
        await _registry.DisposeAsync();
        await _reference.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task TwentyKillsAtRandomPoints_EachFollowedByARestart_RegistryEqualsACleanRun()
    {
        var hospitals = new[] { ("hospital", _hospital.BaseUrl) };
        var config = ReliabilityRun.Config(Path.Combine(_dir, "killed"), hospitals, _registry.BaseUrl);
        var random = new Random(20261123);
        var killedWhile = new List<string>();
        var runLength = TimeSpan.Zero;
        var arrived = 0;
        for (var attempt = 0; killedWhile.Count < Kills; attempt++)
        {
            Assert.True(attempt < 3 * Kills, $"only {killedWhile.Count} of {Kills} kills in {attempt} attempts");
            if (arrived < _arrivals.Count)
            {
                await _hospital.SeedNdjsonAsync(_arrivals[arrived++]); // the next patients arrive
            }

            // The kill point is drawn (seeded) over the length of the last run that finished, start-up included, so
            // kills land in start-up, the pull, the recompute and the push; a run that ends first has simply finished.
            // The first run is never killed: its length, a whole run of newly arrived patients, is what the
            // kill points are drawn over.
            var at = attempt == 0 ? TimeSpan.FromMinutes(3) : TimeSpan.FromMilliseconds(random.Next(300, (int)(1.2 * runLength.TotalMilliseconds)));
            var clock = Stopwatch.StartNew();
            using var process = ReliabilityRun.Start(config);
            if (process.WaitForExit(at))
            {
                Assert.True(process.ExitCode == 0, $"attempt {attempt}: a run ended with {process.ExitCode} before its kill point");
                runLength = clock.Elapsed;
                continue;
            }

            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            killedWhile.Add(await StageAsync(Path.Combine(_dir, "killed", "state", "state.db")));
        }

        foreach (var arrival in _arrivals.Skip(arrived))
        {
            await _hospital.SeedNdjsonAsync(arrival);
        }

        var last = ReliabilityRun.RunOnce(config);
        Assert.Contains("0 dead letters, 0 pending", last.Stdout, StringComparison.Ordinal);

        // The reference: one clean run over the final data, from an empty state into an empty registry.
        ReliabilityRun.RunOnce(ReliabilityRun.Config(Path.Combine(_dir, "clean"), hospitals, _reference.BaseUrl));
        var expected = await RegistrySnapshot.TakeAsync(_reference);
        Assert.True(expected.Count("ResearchSubject") > 100, "the hospital should give over a hundred subjects");
        (await RegistrySnapshot.TakeAsync(_registry)).AssertEquals(expected);

        // The kills did land at different points: with change sets waiting to be sent, and with none waiting.
        var stages = string.Join(", ", killedWhile.GroupBy(k => k).Select(g => $"{g.Key} {g.Count()}"));
        Assert.True(killedWhile.Contains("change sets pending") && killedWhile.Any(k => k != "change sets pending"), "killed while: " + stages);
    }

    /// <summary>Where the killed instance had got to, read from its state.</summary>
    private static async Task<string> StageAsync(string database)
    {
        if (!File.Exists(database))
        {
            return "nothing recomputed yet";
        }

        try
        {
            var store = new SqliteStateStore(database);
            var counts = await store.GetOutboxCountsAsync(CancellationToken.None);
            return (counts.GetValueOrDefault(OutboxState.Pending), counts.GetValueOrDefault(OutboxState.Sent)) switch
            {
                (0, 0) => "nothing recomputed yet",
                ( > 0, _) => "change sets pending",
                _ => "all sent so far",
            };
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        }
    }
}
