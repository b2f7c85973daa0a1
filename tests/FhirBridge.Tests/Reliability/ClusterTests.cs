using System.Text.RegularExpressions;
using FhirBridge.Tests.Cli;
using FhirBridge.TestServer;
using FhirBridge.TestServer.Postgres;

namespace FhirBridge.Tests.Reliability;

/// <summary>
/// Three <c>fhirbridge run</c> instances sharing one PostgreSQL database (state and Quartz's clustered schedule) and
/// ten sources on the FHIR test server; one instance is killed (<c>SIGKILL</c>) in the middle of pulls and pushes.
/// The others take its sources over, no source's job runs twice at once anywhere in the cluster, and the registry
/// ends holding exactly what one clean single-instance run gives, every subject once.
/// </summary>
public sealed partial class ClusterTests : IAsyncLifetime
{
    private const int Sources = 10;
    private static readonly string[] Nodes = ["node-1", "node-2", "node-3"];
    private readonly string _dir = Directory.CreateTempSubdirectory("fhirbridge-cluster-").FullName;
    private FhirTestTarget _hospital = null!;
    private FhirTestTarget _registry = null!;
    private FhirTestTarget _reference = null!;
    private TestDatabase? _database;

    public async Task InitializeAsync()
    {
        _hospital = await FhirTestTarget.CreateAsync();
        await ReliabilityRun.SeedAsync(_hospital, patients: 40, seed: 41, _dir);
        _registry = await FhirTestTarget.CreateRegistryAsync();
        _reference = await FhirTestTarget.StartInProcessAsync();
        _database = TestDatabase.IsAvailable ? await TestDatabase.CreateAsync() : null;
    }

    public async Task DisposeAsync()
    {
        await _hospital.DisposeAsync();
        await _registry.DisposeAsync();
        await _reference.DisposeAsync();
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [PostgresFact]
    public async Task ThreeInstancesTenSources_OneKilledMidRun_OthersFinishItsWork_RegistryEqualsACleanRun()
    {
        // Ten sources on the one test server: ten names, so ten sets of subjects (pseudonyms are per source).
        var hospitals = Enumerable.Range(1, Sources).Select(i => ($"hospital-{i:00}", _hospital.BaseUrl)).ToList();
        ReliabilityRun.RunOnce(ReliabilityRun.Config(Path.Combine(_dir, "clean"), hospitals, _reference.BaseUrl));
        var expected = await RegistrySnapshot.TakeAsync(_reference);
        Assert.True(expected.Count("ResearchSubject") >= 10 * Sources, "every source should give several subjects");

        var storage = $$"""{ "Provider": "PostgreSql", "ConnectionString": "{{_database!.ConnectionString}}" }""";
        var cluster = """, "Cluster": { "CheckinIntervalSeconds": 1, "FailoverSeconds": 4 }""";
        // No scheduled pull comes during the test (only each instance's start trigger), so a run of a source after
        // the kill is Quartz recovering the killed instance's job, not the schedule. The in-process hospital answers
        // each page slowly, so runs last long enough to be killed in.
        var config = ReliabilityRun.Config(Path.Combine(_dir, "cluster"), hospitals, _registry.BaseUrl, storage: storage, extra: cluster, schedule: "0 0 0 1 1 ? 2099");
        _hospital.Server?.Faults.Enqueue(Fault.Slow(TimeSpan.FromMilliseconds(400)), FhirInteraction.SearchPage, times: int.MaxValue);
        var instances = new List<ServiceProcess>();
        try
        {
            instances.AddRange(await Task.WhenAll(Nodes.Select(node =>
                ServiceProcess.StartAsync(config, ReliabilityRun.Environment, $"--FhirBridge:Cluster:InstanceId={node}"))));

            // The first instance seen in the middle of a run is killed: mid-pull, with other runs pushing beside it.
            ServiceProcess? victim = null;
            await WaitUntilAsync(
                () => Task.FromResult((victim = instances.FirstOrDefault(i => Runs(i, DateTime.MaxValue).Any(r => r.End == DateTime.MaxValue))) is not null),
                TimeSpan.FromSeconds(90), "an instance to be in a run");
            var killedAt = DateTime.UtcNow;
            victim!.Kill();
            var interrupted = Runs(victim, killedAt).Where(r => r.End == killedAt).ToList();
            Assert.NotEmpty(interrupted);
            var killed = interrupted[0].Instance;

            // The survivors finish the work: the registry converges on the clean run's content.
            await WaitUntilAsync(
                async () => (await RegistrySnapshot.TakeAsync(_registry)).Records.Count == expected.Records.Count,
                TimeSpan.FromMinutes(3), "the registry to hold every record");
            await Task.Delay(TimeSpan.FromSeconds(3)); // anything still in flight lands
            (await RegistrySnapshot.TakeAsync(_registry)).AssertEquals(expected);

            // Each source ran somewhere; the survivors ran sources after the kill; no source ever ran on two
            // instances at once (a killed run's interval ends at the kill).
            var runs = instances.SelectMany(i => Runs(i, killedAt)).ToList();
            Assert.Equal(Sources, runs.Select(r => r.Source).Distinct().Count());
            Assert.All(interrupted, run => Assert.Contains(runs, r => r.Source == run.Source && r.Instance != killed && r.Start > killedAt)); // recovered
            foreach (var source in runs.GroupBy(r => r.Source))
            {
                var ordered = source.OrderBy(r => r.Start).ToList();
                for (var i = 1; i < ordered.Count; i++)
                {
                    Assert.True(ordered[i].Start >= ordered[i - 1].End,
                        $"{source.Key} ran on {ordered[i - 1].Instance} ({ordered[i - 1].Start:HH:mm:ss.fff}-{ordered[i - 1].End:HH:mm:ss.fff}) and {ordered[i].Instance} ({ordered[i].Start:HH:mm:ss.fff}) at once");
                }
            }
        }
        finally
        {
            foreach (var instance in instances)
            {
                instance.Dispose();
            }
        }
    }

    private sealed record SourceRunInterval(string Source, string Instance, DateTime Start, DateTime End);

    /// <summary>The runs an instance logged; one it never finished (killed) ends at <paramref name="killedAt"/>, or still runs.</summary>
    private static IEnumerable<SourceRunInterval> Runs(ServiceProcess instance, DateTime killedAt)
    {
        var open = new Dictionary<string, (string Instance, DateTime Start)>(StringComparer.Ordinal);
        foreach (var (at, line) in instance.TimedLines)
        {
            if (RunLine().Match(line) is not { Success: true } m)
            {
                continue;
            }

            var source = m.Groups["source"].Value;
            if (m.Groups["what"].Value == "started")
            {
                open[source] = (m.Groups["instance"].Value, at);
            }
            else if (open.Remove(source, out var started))
            {
                yield return new SourceRunInterval(source, started.Instance, started.Start, at);
            }
        }

        foreach (var (source, started) in open)
        {
            yield return new SourceRunInterval(source, started.Instance, started.Start, instance.HasExited ? killedAt : DateTime.MaxValue);
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var until = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < until, $"waited {timeout.TotalSeconds} s for {what}");
            await Task.Delay(500);
        }
    }

    [GeneratedRegex(@"Run of source (?<source>\S+) (?<what>started|finished) on instance (?<instance>\S+)")]
    private static partial Regex RunLine();
}
