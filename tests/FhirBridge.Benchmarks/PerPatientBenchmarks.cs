using BenchmarkDotNet.Attributes;
using FhirBridge.Detection;
using FhirBridge.Ingest;
using FhirBridge.Mapping;
using FhirBridge.MappingLog;
using FhirBridge.Reconcile;
using FhirBridge.Registry;
using FhirBridge.Timeline;
using NodaTime;

namespace FhirBridge.Benchmarks;

/// <summary>
/// Parse, map, detect, build the registry records and reconcile per patient over the committed synthetic sample (500 patients): each benchmark does every
/// patient once and reports the time per patient (<c>OperationsPerInvoke</c>).
/// </summary>
[MemoryDiagnoser]
public class PerPatientBenchmarks
{
    private static readonly OffsetDateTime AsOf = OffsetDateTime.FromDateTimeOffset(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.FromHours(8)));
    private static readonly DateTimeZone Zone = DateTimeZoneProviders.Tzdb["Asia/Shanghai"];
    private static readonly DateTimeOffset Recorded = new(2026, 1, 1, 0, 0, 0, TimeSpan.FromHours(8));
    private const int Patients = 500;

    private readonly FhirInputReader _reader = new();
    private List<List<string>> _linesByPatient = [];
    private List<PatientTimeline> _unmapped = [];
    private List<PatientTimeline> _mapped = [];
    private TimelineMapper _mapper = null!;
    private UnplannedReturnRule _rule = null!;
    private List<PatientDetection> _detections = [];
    private RegistryRecordBuilder _registry = null!;
    private List<IReadOnlyList<RegistryRecord>> _records = [];
    private List<IReadOnlyList<ProjectedRecord>> _projections = [];

    /// <summary>Reads the sample once: lines by patient, timelines before and after mapping.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var root = RepositoryRoot();
        var sample = Path.Combine(root, "samples", "synthetic-hospital");
        var store = new TimelineStore();
        var byPatient = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(sample, "*.ndjson").Order(StringComparer.Ordinal))
        {
            var number = 0;
            foreach (var line in File.ReadLines(file))
            {
                foreach (var result in _reader.ReadJson(line, $"{file}:{++number}"))
                {
                    store.Add(result);
                    if (result.Patient is { } patient)
                    {
                        (byPatient.TryGetValue(patient, out var lines) ? lines : byPatient[patient] = []).Add(line);
                    }
                }
            }
        }

        _linesByPatient = [.. byPatient.Values.Take(Patients)];
        _mapper = new TimelineMapper(MappingLoader.Load([Path.Combine(root, "mappings")], new CodeSystems([], [])));
        var shared = new List<MappingLogEntry>();
        var (locations, organizations) = _mapper.MapShared(store.Locations, store.Organizations, shared);
        _unmapped = [.. store.Timelines(locations, organizations).Take(Patients)];
        _mapped = [.. _unmapped.Select(t => _mapper.Map(t, new List<MappingLogEntry>()))];
        var study = new StudyDefinition();
        _rule = new UnplannedReturnRule(study);
        _detections = [.. _mapped.Select(t => _rule.Evaluate(t, AsOf, Zone))];
        _registry = new RegistryRecordBuilder("bench", study, new Pseudonymizer("benchmark-key-0123456789"));
        _records = [.. _mapped.Select((t, i) => _registry.Build(t, _detections[i].Subjects))];
        _projections = [.. _records.Select(r => Reconciler.Reconcile("bench", _registry.Study(), r, [], Recorded).Projection)];
    }

    /// <summary>INGEST: read and validate one patient's resources with the one reading path.</summary>
    [Benchmark(OperationsPerInvoke = Patients)]
    public int Parse()
    {
        var count = 0;
        foreach (var lines in _linesByPatient)
        {
            foreach (var line in lines)
            {
                foreach (var _ in _reader.ReadJson(line, "bench"))
                {
                    count++;
                }
            }
        }

        return count;
    }

    /// <summary>MAP: translate every code of one patient's timeline.</summary>
    [Benchmark(OperationsPerInvoke = Patients)]
    public int Map()
    {
        var entries = 0;
        foreach (var timeline in _unmapped)
        {
            var log = new List<MappingLogEntry>();
            _mapper.Map(timeline, log);
            entries += log.Count;
        }

        return entries;
    }

    /// <summary>DETECT: the study rule over one patient's mapped timeline.</summary>
    [Benchmark(OperationsPerInvoke = Patients)]
    public int Detect()
    {
        var subjects = 0;
        foreach (var timeline in _mapped)
        {
            subjects += _rule.Evaluate(timeline, AsOf, Zone).Subjects.Count;
        }

        return subjects;
    }

    /// <summary>The registry records of one patient's subjects (RegistryRecordBuilder).</summary>
    [Benchmark(OperationsPerInvoke = Patients)]
    public int Registry()
    {
        var records = 0;
        for (var i = 0; i < _mapped.Count; i++)
        {
            records += _registry.Build(_mapped[i], _detections[i].Subjects).Count;
        }

        return records;
    }

    /// <summary>RECONCILE as in a backfill: nothing held yet, every subject's change set an addition.</summary>
    [Benchmark(OperationsPerInvoke = Patients)]
    public int Reconcile()
    {
        var changes = 0;
        foreach (var records in _records)
        {
            changes += Reconciler.Reconcile("bench", _registry.Study(), records, [], Recorded).Changes.Count;
        }

        return changes;
    }

    /// <summary>RECONCILE as in a daily recompute where nothing changed: the records against their own projection.</summary>
    [Benchmark(OperationsPerInvoke = Patients)]
    public int ReconcileUnchanged()
    {
        var changes = 0;
        for (var i = 0; i < _records.Count; i++)
        {
            changes += Reconciler.Reconcile("bench", _registry.Study(), _records[i], _projections[i], Recorded).Changes.Count;
        }

        return changes;
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FhirBridge.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("FhirBridge.sln not found above " + AppContext.BaseDirectory);
    }
}
