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
    public static IEnumerable<(Kind Kind, IReadOnlyList<ChangeSet> Changes)> All() =>
        Reconciles().Select(r => (r.Kind, r.Changes));

    /// <summary>Each reconcile of <see cref="All"/>, with the records it was given, what was held and the projection it made.</summary>
    public static IEnumerable<Reconciled> Reconciles()
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
            yield return new Reconciled(Kind.Added, records, [], first, additions);
            var later = late.GetValueOrDefault(patient, []);
            var (second, updates) = Reconciler.Reconcile(Source, builder.Study(), later, first, Recorded.AddDays(1));
            yield return new Reconciled(Kind.Updated, later, first, second, updates);
            IReadOnlyList<ProjectedRecord> heldDifferently = [.. second.Select(p => p with { Hash = "held" })];
            var (third, all) = Reconciler.Reconcile(Source, builder.Study(), later, heldDifferently, Recorded.AddDays(2));
            yield return new Reconciled(Kind.Updated, later, heldDifferently, third, all);
            var (fourth, retractions) = Reconciler.Reconcile(Source, builder.Study(), [], second, Recorded.AddDays(3));
            yield return new Reconciled(Kind.Retracted, [], second, fourth, retractions);
        }
    }

    /// <summary>One reconcile: its kind, the records given, what was held, the projection made and the change sets.</summary>
    public sealed record Reconciled(
        Kind Kind, IReadOnlyList<RegistryRecord> Records, IReadOnlyList<ProjectedRecord> Held, IReadOnlyList<ProjectedRecord> Projection, IReadOnlyList<ChangeSet> Changes);
}
