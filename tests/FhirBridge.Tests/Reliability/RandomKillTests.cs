using System.Diagnostics;
using FhirBridge.Storage;
using FhirBridge.Storage.Sqlite;
using FhirBridge.TestServer;
using Xunit.Abstractions;

namespace FhirBridge.Tests.Reliability;

/// <summary>
/// Twenty <c>SIGKILL</c>s of one instance at random points of its runs, each followed by a restart, while new patients
/// keep arriving at the hospital (so every run has pulling, recomputing and pushing to do): the registry ends holding
/// exactly what one clean run over the final data gives, every record once. The hospital is the in-process server or
/// <c>FHIRBRIDGE_TEST_FHIR_URL</c>; the registry killed into is the in-process one or <c>FHIRBRIDGE_TEST_REGISTRY_URL</c>;
/// the clean run's registry is always an in-process one (the reference).
/// </summary>
public sealed class RandomKillTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Kills = 20;
    private const string BeforeAnyCommit = "before the run committed or sent anything";
    private const string AfterACommit = "after the run committed or sent change sets";
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

        // The in-process registry takes its time over each transaction, so a run spends long enough pushing for kills
        // to land there too (an external registry keeps its own pace, and the check of where kills landed is skipped).
        _registry.Server?.Faults.Enqueue(Fault.Slow(TimeSpan.FromMilliseconds(150)), FhirInteraction.Transaction, times: int.MaxValue);
        var random = new Random(20261123);
        var database = Path.Combine(_dir, "killed", "state", "state.db");
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
            var before = await OutboxAsync(database);
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
            killedWhile.Add(await OutboxAsync(database) == before ? BeforeAnyCommit : AfterACommit);
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

        // The kills did land at different points: before the run had committed anything (start-up, pull, the first
        // recompute batch), and after it had committed change sets or sent some.
        var stages = string.Join(", ", killedWhile.GroupBy(k => k).Select(g => $"{g.Key} {g.Count()}"));
        output.WriteLine("killed while: " + stages);
        if (_registry.Server is not null)
        {
            Assert.True(killedWhile.Contains(BeforeAnyCommit) && killedWhile.Contains(AfterACommit), "killed while: " + stages);
        }
    }

    /// <summary>How many change sets the instance's outbox holds, and how many were sent: what a run has committed so far.</summary>
    private static async Task<(int Queued, int Sent)> OutboxAsync(string database)
    {
        if (!File.Exists(database))
        {
            return (0, 0);
        }

        try
        {
            var counts = await new SqliteStateStore(database).GetOutboxCountsAsync(CancellationToken.None);
            return (counts.Values.Sum(), counts.GetValueOrDefault(OutboxState.Sent));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        }
    }
}
