using FhirBridge.Detection;
using FhirBridge.Mapping;
using FhirBridge.Pipeline;
using FhirBridge.Reconcile;
using FhirBridge.Registry;
using FhirBridge.Tests.Builders;
using NodaTime.Text;

namespace FhirBridge.Tests.Reconcile;

/// <summary>
/// Every change set the synthetic sample gives, one list per patient and reconcile, as a recompute makes them:
/// additions as of October 2024 (some windows still open, later operations not there yet), updates at the end of 2025
/// (windows closed: outcomes final, subjects off study), every record held differently (every subject's change set an
/// update), and retractions of everything.
/// </summary>
internal static class SampleChangeSets
{
    private const string Source = "hospital-a";
    private static readonly Pseudonymizer Pseudonyms = new("sample-change-sets-key-01");
    private static readonly DateTimeOffset Recorded = new(2026, 1, 1, 8, 30, 15, 123, TimeSpan.Zero);

    /// <summary>What kind of reconcile gave a list.</summary>
    public enum Kind
    {
        /// <summary>Nothing held yet.</summary>
        Added,

        /// <summary>Records changed since they were held.</summary>
        Updated,

        /// <summary>No records left.</summary>
        Retracted,
    }

    /// <summary>The lists, patient by patient: added, updated, updated (all held differently), retracted.</summary>
    public static IEnumerable<(Kind Kind, IReadOnlyList<ChangeSet> Changes)> All()
    {
        var maps = MappingLoader.Load([RepositoryPaths.Mappings, Path.Combine(RepositoryPaths.Samples, "hospital-mappings")], new CodeSystems());
        var study = new StudyDefinition();
        var builder = new RegistryRecordBuilder(Source, study, Pseudonyms);
        var zone = NodaTime.DateTimeZoneProviders.Tzdb["Asia/Shanghai"];
        var input = Path.Combine(RepositoryPaths.Samples, "synthetic-hospital");
        var early = new Dictionary<string, IReadOnlyList<RegistryRecord>>(StringComparer.Ordinal);
        var late = new Dictionary<string, IReadOnlyList<RegistryRecord>>(StringComparer.Ordinal);
        foreach (var (asOf, into) in new[] { ("2024-10-15T00:00:00+08:00", early), ("2025-12-31T00:00:00+08:00", late) })
        {
            new FileDetection(maps, new UnplannedReturnRule(study)).Run(
                [input], OffsetDateTimePattern.ExtendedIso.Parse(asOf).Value, zone,
                (timeline, detection, _) => into[timeline.Patient.Id] = builder.Build(timeline, detection.Subjects),
                _ => { });
        }

        foreach (var (patient, records) in early)
        {
            var (first, additions) = Reconciler.Reconcile(Source, builder.Study(), records, [], Recorded);
            yield return (Kind.Added, additions);
            var (second, updates) = Reconciler.Reconcile(Source, builder.Study(), late.GetValueOrDefault(patient, []), first, Recorded.AddDays(1));
            yield return (Kind.Updated, updates);
            var (_, all) = Reconciler.Reconcile(Source, builder.Study(), late.GetValueOrDefault(patient, []), [.. second.Select(p => p with { Hash = "held" })], Recorded.AddDays(2));
            yield return (Kind.Updated, all);
            var (_, retractions) = Reconciler.Reconcile(Source, builder.Study(), [], second, Recorded.AddDays(3));
            yield return (Kind.Retracted, retractions);
        }
    }
}
