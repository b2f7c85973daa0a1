using System.Reflection;
using System.Text.Json;
using FhirBridge.Cli.Push;
using FhirBridge.Cli.Service;
using FhirBridge.Detection;
using FhirBridge.Mapping;
using FhirBridge.MappingLog;
using FhirBridge.Pipeline;
using FhirBridge.Reconcile;
using FhirBridge.Registry;
using FhirBridge.Storage;
using FhirBridge.Tests.Cli;
using Hl7.Fhir.Serialization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using NodaTime.Text;

namespace FhirBridge.Tests.Service;

/// <summary>
/// The recompute computes the patients of a batch on every core and commits batch after batch while the next is
/// computed: what it commits, and in which transactions and order, must be what judging one patient at a time gives.
/// Over the synthetic sample (500 patients, so batches of 200, 200 and 100) on SQLite.
/// </summary>
public sealed class PatientRecomputeTests : IDisposable
{
    private const string SourceName = "recompute-test";
    private static readonly OffsetDateTime AsOf = OffsetDateTimePattern.ExtendedIso.Parse("2025-12-31T00:00:00+08:00").Value;
    private static readonly JsonSerializerOptions LogJson = new(JsonSerializerDefaults.Web);
    private static readonly DateTimeOffset Now = new(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("fhirbridge-recompute-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private ServiceProvider Pipeline()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["FhirBridge:Sources:0:Name"] = SourceName,
            ["FhirBridge:Sources:0:Kind"] = "Directory",
            ["FhirBridge:Sources:0:Path"] = Path.Combine(Fhirbridge.RepositoryRoot, "samples", "synthetic-hospital"),
            ["FhirBridge:Sources:0:TimeZone"] = "Asia/Shanghai",
            ["FhirBridge:Registry:Kind"] = "Directory",
            ["FhirBridge:Registry:Path"] = "registry",
            ["FhirBridge:Storage:ConnectionString"] = "state.db",
            ["FhirBridge:Pseudonymization:Key"] = "recompute-key-0123456789abcdef",
        }).Build();
        var services = new ServiceCollection().AddLogging().AddFhirBridge(configuration, _dir);
        services.AddSingleton<TimeProvider>(new FixedClock(Now));
        return services.BuildServiceProvider();
    }

    // Ingests the sample and gives the source and its dirty patients in the order a recompute takes them.
    private static async Task<(SourceContext Source, IReadOnlyList<DirtyPatient> Dirty)> IngestAsync(ServiceProvider services)
    {
        var store = services.GetRequiredService<IStateStore>();
        await store.MigrateAsync(default);
        var source = services.GetRequiredService<IReadOnlyList<SourceContext>>().Single();
        await source.Pull.PullAsync(store, null, default);
        return (source, await store.GetDirtyPatientsAsync(SourceName, int.MaxValue, default));
    }

    [Fact]
    public async Task Run_BatchesOnEveryCore_CommitWhatOnePatientAtATimeGivesInTheSameOrderAndTransactions()
    {
        await using var services = Pipeline();
        var (source, dirty) = await IngestAsync(services);
        var store = services.GetRequiredService<IStateStore>();
        Assert.Equal(500, dirty.Count);

        // What judging one patient at a time gives: each patient's change sets, Firely-serialized, in dirty order.
        var serializer = new FhirJsonSerializer();
        var rule = services.GetRequiredService<UnplannedReturnRule>();
        var judge = new PatientJudge(services.GetRequiredService<CategoryMaps>(), rule, (await store.GetSharedResourcesAsync(SourceName, default)).Select(r => r.Json), new List<MappingLogEntry>());
        var registry = new RegistryRecordBuilder(SourceName, rule.Study, services.GetRequiredService<Pseudonymizer>(), services.GetRequiredService<RegistrySettings>());
        var outbox = new List<(string Patient, string SubjectKey, string Bundle)>();
        var log = new List<(string Patient, string Entry)>();
        var projections = new Dictionary<string, IReadOnlyList<ProjectedRecord>>(StringComparer.Ordinal);
        foreach (var d in dirty)
        {
            var resources = await store.GetPatientResourcesAsync(SourceName, d.Patient, default);
            var (timeline, detection, entries) = judge.Judge(d.Patient, resources.Select(r => r.Json), AsOf, source.Zone);
            var (projection, changes) = Reconciler.Reconcile(SourceName, registry.Study(), registry.Build(timeline, detection.Subjects), [], Now);
            outbox.AddRange(changes.Select(c => (d.Patient, c.SubjectKey, serializer.SerializeToString(c.Transaction))));
            log.AddRange(entries.Select(e => (d.Patient, JsonSerializer.Serialize(e, LogJson))));
            projections[d.Patient] = projection;
        }

        var recorder = RecordingStore.Wrap(store);
        var recompute = ActivatorUtilities.CreateInstance<PatientRecompute>(services, recorder.Store);
        var summary = await recompute.RunAsync(source, AsOf, null, default);

        Assert.Equal((500, outbox.Count), (summary.Patients, summary.ChangeSets));
        Assert.Equal(dirty.Select(d => d.Patient).Chunk(200).Select(c => string.Join(",", c)), recorder.Commits.Select(c => string.Join(",", c)));
        var queued = await store.GetPendingOutboxAsync(int.MaxValue, default);
        Assert.Equal(Enumerable.Range(1, outbox.Count).Select(i => (long)i), queued.Select(q => q.Id));
        Assert.Equal(outbox, queued.Select(q => (q.Patient, q.SubjectKey, q.Bundle)));

        // Checked as they were built, on the recompute's cores: each conforming change set carries the check's
        // fingerprint, so the push sends it without checking it again (all of the sample's conform).
        var fingerprint = services.GetRequiredService<ChangeSetValidation>().Fingerprint;
        Assert.All(queued, q => Assert.Equal(fingerprint, q.CheckedBy));
        Assert.Equal(log, await ReadLogAsync());
        var stored = await store.GetProjectionsAsync(SourceName, [.. projections.Keys], default);
        Assert.All(projections, p => Assert.Equal(p.Value.OrderBy(r => r.RecordKey, StringComparer.Ordinal), stored[p.Key]));
        Assert.Empty(await store.GetDirtyPatientsAsync(SourceName, 10, default));
    }

    [Fact]
    public async Task Run_CancelledWhileABatchIsCommitted_CommitsThatWholeBatchAndNothingAfterIt()
    {
        await using var services = Pipeline();
        var (source, dirty) = await IngestAsync(services);
        var store = services.GetRequiredService<IStateStore>();
        using var cancel = new CancellationTokenSource();

        // The second look for dirty patients comes once the first batch is handed to its commit.
        var recorder = RecordingStore.Wrap(store, onDirtyRead: n =>
        {
            if (n == 2)
            {
                cancel.Cancel();
            }
        });
        var recompute = ActivatorUtilities.CreateInstance<PatientRecompute>(services, recorder.Store);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => recompute.RunAsync(source, AsOf, null, cancel.Token));

        var first = dirty.Take(200).Select(d => d.Patient).ToList();
        Assert.Equal(first, Assert.Single(recorder.Commits));
        var detections = new List<string>();
        await foreach (var detection in store.GetDetectionsAsync(SourceName, default))
        {
            detections.Add(detection.Patient);
        }

        Assert.Equal(first.Order(StringComparer.Ordinal), detections);
        Assert.Equal(dirty.Skip(200), await store.GetDirtyPatientsAsync(SourceName, int.MaxValue, default));
        var queued = await store.GetPendingOutboxAsync(int.MaxValue, default);
        Assert.NotEmpty(queued);
        Assert.All(queued, q => Assert.Contains(q.Patient, first));

        // The next run goes on from there, as if the cancelled one had stopped after its first batch.
        var rest = await ActivatorUtilities.CreateInstance<PatientRecompute>(services, store).RunAsync(source, AsOf, null, default);
        Assert.Equal(300, rest.Patients);
        Assert.Empty(await store.GetDirtyPatientsAsync(SourceName, 10, default));
    }

    [Fact]
    public async Task Run_SameDataAgain_CommitsEveryProjectionAsUnchangedAndTheStoreKeepsIt()
    {
        await using var services = Pipeline();
        var (source, dirty) = await IngestAsync(services);
        var store = services.GetRequiredService<IStateStore>();
        var patients = dirty.Select(d => d.Patient).ToList();
        var first = RecordingStore.Wrap(store);
        await ActivatorUtilities.CreateInstance<PatientRecompute>(services, first.Store).RunAsync(source, AsOf, null, default);
        var before = await store.GetProjectionsAsync(SourceName, patients, default);

        // Nothing was held before the first run: every patient with records writes them.
        Assert.All(first.Committed.Where(c => c.Projection.Count > 0), c => Assert.False(c.ProjectionUnchanged, c.Patient));
        Assert.True(first.Committed.Count(c => c.Projection.Count > 0) > 400);

        // Every patient judged again on the same data: the same records, so no projection is written again.
        await using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(_dir, "state.db") }.ToString()))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO dirty (source, patient, generation) SELECT source, patient, 1 FROM detections;";
            Assert.Equal(500, await command.ExecuteNonQueryAsync());
        }

        var again = RecordingStore.Wrap(store);
        var summary = await ActivatorUtilities.CreateInstance<PatientRecompute>(services, again.Store).RunAsync(source, AsOf, null, default);

        Assert.Equal((500, 0), (summary.Patients, summary.ChangeSets));
        Assert.All(again.Committed, c => Assert.True(c.ProjectionUnchanged, c.Patient));
        var after = await store.GetProjectionsAsync(SourceName, patients, default);
        Assert.All(patients, p => Assert.Equal(before[p], after[p]));
        Assert.Empty(await store.GetDirtyPatientsAsync(SourceName, 10, default));
    }

    [Fact]
    public async Task Run_APatientCommittedElsewhereAfterTheRead_DropsTheStaleCommitRecomputesThemAgainAndCountsThemOnce()
    {
        await using var services = Pipeline();
        var (source, dirty) = await IngestAsync(services);
        var store = services.GetRequiredService<IStateStore>();

        // Another instance commits the first batch's first patient (an empty projection) between this run's read and
        // its commit: this run's commit of that patient was computed from a projection that is no longer current.
        var patient = dirty[0].Patient;
        var recorder = RecordingStore.Wrap(store, onCommit: (inner, commits) =>
        {
            if (commits[0].Patient == patient && commits[0].ProjectionVersion == 0)
            {
                inner.CommitRecomputeAsync(SourceName, patient, null, [], [], [], default).GetAwaiter().GetResult();
            }
        });
        var summary = await ActivatorUtilities.CreateInstance<PatientRecompute>(services, recorder.Store).RunAsync(source, AsOf, null, default);

        // Dropped, then judged again from what is held now in a later batch, and counted once; its change sets are
        // queued once, by the commit that was applied.
        var commits = recorder.Committed.Where(c => c.Patient == patient).ToList();
        Assert.Equal(2, commits.Count);
        var queued = await store.GetPendingOutboxAsync(int.MaxValue, default);
        Assert.Equal((500, queued.Count), (summary.Patients, summary.ChangeSets));
        Assert.Equal(commits[1].ChangeSets.Select(c => c.Bundle), queued.Where(q => q.Patient == patient).Select(q => q.Bundle));
        Assert.Equal(commits[1].Projection.OrderBy(r => r.RecordKey, StringComparer.Ordinal), await store.GetProjectionAsync(SourceName, patient, default));
        Assert.Empty(await store.GetDirtyPatientsAsync(SourceName, 10, default));
    }

    private async Task<List<(string Patient, string Entry)>> ReadLogAsync()
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(_dir, "state.db") }.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT patient, entry FROM mapping_log WHERE patient <> '(shared resources)' ORDER BY seq;";
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(string, string)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), reader.GetString(1)));
        }

        return rows;
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    /// <summary>A store that passes every call on, and records each batch committed and counts reads of the dirty patients.</summary>
    public class RecordingStore : DispatchProxy
    {
        private IStateStore _inner = null!;
        private Action<int> _onDirtyRead = _ => { };
        private Action<IStateStore, IReadOnlyList<RecomputeCommit>> _onCommit = (_, _) => { };
        private int _dirtyReads;

        public List<List<string>> Commits { get; } = [];

        public List<RecomputeCommit> Committed { get; } = [];

        public IStateStore Store => (IStateStore)(object)this;

        public static RecordingStore Wrap(IStateStore inner, Action<int>? onDirtyRead = null, Action<IStateStore, IReadOnlyList<RecomputeCommit>>? onCommit = null)
        {
            var proxy = Create<IStateStore, RecordingStore>();
            var recorder = (RecordingStore)(object)proxy;
            recorder._inner = inner;
            recorder._onDirtyRead = onDirtyRead ?? (_ => { });
            recorder._onCommit = onCommit ?? ((_, _) => { });
            return recorder;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            ArgumentNullException.ThrowIfNull(targetMethod);
            if (targetMethod.Name == nameof(IStateStore.CommitRecomputesAsync))
            {
                lock (Commits)
                {
                    Commits.Add([.. ((IReadOnlyList<RecomputeCommit>)args![1]!).Select(c => c.Patient)]);
                    Committed.AddRange((IReadOnlyList<RecomputeCommit>)args[1]!);
                }

                _onCommit(_inner, (IReadOnlyList<RecomputeCommit>)args[1]!);
            }
            else if (targetMethod.Name == nameof(IStateStore.GetDirtyPatientsAsync))
            {
                _onDirtyRead(Interlocked.Increment(ref _dirtyReads));
            }

            try
            {
                return targetMethod.Invoke(_inner, args);
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
                throw;
            }
        }
    }
}
