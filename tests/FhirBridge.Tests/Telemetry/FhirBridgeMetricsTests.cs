using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using FhirBridge.Cli.Push;
using FhirBridge.Cli.Service;
using FhirBridge.Cli.Telemetry;
using FhirBridge.Storage;
using FhirBridge.Tests.Cli;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using NodaTime.Text;

namespace FhirBridge.Tests.Telemetry;

/// <summary>
/// The FhirBridge meter and spans over a real pipeline in-process (a Directory source over the fixture, SQLite state,
/// a Directory registry), heard with a <see cref="MeterListener"/> scoped to this test's own meter factory.
/// </summary>
public sealed class FhirBridgeMetricsTests : IDisposable
{
    private const string AsOf = "2024-12-31T00:00:00+08:00";
    private readonly string _dir = Directory.CreateTempSubdirectory("fhirbridge-metrics-").FullName;
    private readonly List<(string Instrument, double Value, Dictionary<string, string> Tags)> _measurements = [];

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Fixture => Path.Combine(Fhirbridge.FixturesDirectory, "hospital-a");

    private ServiceProvider Pipeline()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["FhirBridge:Sources:0:Name"] = "metrics-test",
            ["FhirBridge:Sources:0:Kind"] = "Directory",
            ["FhirBridge:Sources:0:Path"] = Fixture,
            ["FhirBridge:Sources:1:Name"] = "metrics-missing",
            ["FhirBridge:Sources:1:Kind"] = "Directory",
            ["FhirBridge:Sources:1:Path"] = Path.Combine(_dir, "no-such-folder"),
            ["FhirBridge:Registry:Kind"] = "Directory",
            ["FhirBridge:Registry:Path"] = "registry",
            ["FhirBridge:Storage:ConnectionString"] = "state.db",
            ["FhirBridge:Pseudonymization:Key"] = "metrics-key-0123456789abcdef",
        }).Build();
        return new ServiceCollection().AddLogging().AddFhirBridge(configuration, _dir).BuildServiceProvider();
    }

    private MeterListener Listen(IServiceProvider services)
    {
        var factory = services.GetRequiredService<IMeterFactory>();
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                // Only this provider's meter: other tests in the process have their own.
                if (instrument.Meter.Name == FhirBridgeTelemetry.Name && instrument.Meter.Scope == factory)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        listener.Start();
        return listener;
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, string>();
        foreach (var t in tags)
        {
            copy[t.Key] = t.Value?.ToString() ?? "";
        }

        lock (_measurements)
        {
            _measurements.Add((instrument.Name, value, copy));
        }
    }

    private Dictionary<string, double> Sum(string instrument, string byTag, Func<Dictionary<string, string>, bool>? where = null)
    {
        lock (_measurements)
        {
            return _measurements.Where(m => m.Instrument == instrument && (where?.Invoke(m.Tags) ?? true))
                .GroupBy(m => m.Tags[byTag]).ToDictionary(g => g.Key, g => g.Sum(m => m.Value));
        }
    }

    private Dictionary<string, double> OutboxDepth(MeterListener listener)
    {
        lock (_measurements)
        {
            _measurements.RemoveAll(m => m.Instrument == "fhirbridge.outbox.depth");
        }

        listener.RecordObservableInstruments();
        return Sum("fhirbridge.outbox.depth", FhirBridgeTelemetry.StateTag);
    }

    [Fact]
    public async Task Run_ResourcesPulledAndDecisions_EqualWhatWasPulledAndTheMappingLogOfDetect()
    {
        await using var services = Pipeline();
        using var listener = Listen(services);
        await services.GetRequiredService<IStateStore>().MigrateAsync(CancellationToken.None);
        var source = services.GetRequiredService<IReadOnlyList<SourceContext>>()[0];
        var asOf = OffsetDateTimePattern.ExtendedIso.Parse(AsOf).Value;

        var result = await services.GetRequiredService<SourceRunner>().RunAsync(source, asOf, CancellationToken.None);

        Assert.Null(result.Error);
        var pulled = Sum("fhirbridge.resources.pulled", FhirBridgeTelemetry.ResourceTypeTag, t => t[FhirBridgeTelemetry.SourceTag] == "metrics-test");
        Assert.Equal(result.Pulled!.ResourcesByType.ToDictionary(kv => kv.Key, kv => (double)kv.Value), pulled);

        // The same decisions, kind by kind, as the mapping log detect writes over the same files.
        var log = Path.Combine(_dir, "log.ndjson");
        Assert.Equal(0, Fhirbridge.Run("detect", "--input", Fixture, "--as-of", AsOf, "--log", log).ExitCode);
        var expected = File.ReadLines(log).GroupBy(l => JsonDocument.Parse(l).RootElement.GetProperty("decision").GetString()!).ToDictionary(g => g.Key, g => (double)g.Count());
        Assert.Contains("quarantined", expected.Keys);
        Assert.Equal(expected.OrderBy(kv => kv.Key), Sum("fhirbridge.decisions", FhirBridgeTelemetry.DecisionTag).OrderBy(kv => kv.Key));
    }

    [Fact]
    public async Task OutboxDepth_EqualsTheStoresCounts_BeforeAndAfterThePush_PushLatencyOnePerChangeSet()
    {
        await using var services = Pipeline();
        using var listener = Listen(services);
        var store = services.GetRequiredService<IStateStore>();
        await store.MigrateAsync(CancellationToken.None);
        var source = services.GetRequiredService<IReadOnlyList<SourceContext>>()[0];
        await services.GetRequiredService<SourceRunner>().RunAsync(source, OffsetDateTimePattern.ExtendedIso.Parse(AsOf).Value, CancellationToken.None);

        var before = OutboxDepth(listener);
        var beforeInStore = await store.GetOutboxCountsAsync(CancellationToken.None);
        var (sent, _, _) = await services.GetRequiredService<RegistryPush>().PushPendingAsync(CancellationToken.None);
        var after = OutboxDepth(listener);

        Assert.Equal(2, beforeInStore[OutboxState.Pending]); // one change set per subject of the fixture
        Assert.Equal(beforeInStore[OutboxState.Pending], before[OutboxState.Pending]);
        Assert.Equal(0, before[OutboxState.Sent]);
        Assert.Equal(0, after[OutboxState.Pending]);
        Assert.Equal(sent, after[OutboxState.Sent]);
        lock (_measurements)
        {
            Assert.Equal(sent, _measurements.Count(m => m.Instrument == "fhirbridge.push.duration" && m.Tags[FhirBridgeTelemetry.OutcomeTag] == "sent"));
        }
    }

    [Fact]
    public async Task FailingSource_CountsAnErrorOfThePullStage_AndSpansNameEachStage()
    {
        var spans = new List<Activity>();
        using var activities = new ActivityListener
        {
            ShouldListenTo = s => s.Name == FhirBridgeTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = a => { lock (spans) { spans.Add(a); } },
        };
        ActivitySource.AddActivityListener(activities);
        await using var services = Pipeline();
        using var listener = Listen(services);
        await services.GetRequiredService<IStateStore>().MigrateAsync(CancellationToken.None);
        var sources = services.GetRequiredService<IReadOnlyList<SourceContext>>();
        var runner = services.GetRequiredService<SourceRunner>();

        await runner.RunAsync(sources[0], null, CancellationToken.None);
        var failed = await runner.RunAsync(sources[1], null, CancellationToken.None);
        await services.GetRequiredService<RegistryPush>().PushPendingAsync(CancellationToken.None);

        Assert.NotNull(failed.Error);
        Assert.Equal(new Dictionary<string, double> { ["pull"] = 1 }, Sum("fhirbridge.errors", FhirBridgeTelemetry.StageTag, t => t[FhirBridgeTelemetry.SourceTag] == "metrics-missing"));
        Assert.Empty(Sum("fhirbridge.errors", FhirBridgeTelemetry.StageTag, t => t[FhirBridgeTelemetry.SourceTag] == "metrics-test"));
        Assert.Equal(1, services.GetRequiredService<SourceRunHistory>().FailuresInARow("metrics-missing"));
        lock (spans)
        {
            var mine = spans.Where(s => (s.GetTagItem(FhirBridgeTelemetry.SourceTag) as string) == "metrics-test").Select(s => s.OperationName).ToList();
            Assert.Contains("fhirbridge.pull", mine);
            Assert.Contains("fhirbridge.recompute", mine);
            Assert.Contains(spans, s => s.OperationName == "fhirbridge.push");

            // Tags name sources, types and counts; no span carries a patient reference.
            Assert.DoesNotContain(spans.SelectMany(s => s.TagObjects), t => t.Value is string v && v.Contains("Patient/", StringComparison.Ordinal));
        }
    }
}
