using FhirBridge.Detection;
using FhirBridge.Mapping;
using FhirBridge.Pipeline;
using FhirBridge.Reconcile;
using FhirBridge.Registry;
using FhirBridge.Tests.Builders;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using NodaTime.Text;

namespace FhirBridge.Tests.Reconcile;

/// <summary>
/// A change set's JSON, composed from the records' JSON already serialized for the projection, is byte for byte what
/// Firely's serializer gives for the whole Bundle: over every change set of the synthetic sample (additions, updates
/// when windows close, retractions of everything) and hand-made records with text that JSON escapes.
/// </summary>
public class ChangeSetJsonTests
{
    private const string Source = "hospital-a";
    private static readonly FhirJsonSerializer Serializer = new();
    private static readonly Pseudonymizer Pseudonyms = new("change-set-json-test-key-01");
    private static readonly DateTimeOffset Recorded = new(2026, 1, 1, 8, 30, 15, 123, TimeSpan.Zero);

    private static void AssertSameAsFirely(IReadOnlyList<ChangeSet> changes)
    {
        foreach (var change in changes)
        {
            var firely = Serializer.SerializeToString(change.Transaction);
            Assert.Equal(firely, change.Json);

            // ... and composed, not serialized again as a fallback.
            Assert.Equal(firely, ChangeSetJson.TryCompose(change.Transaction, r => Serializer.SerializeToString(r)));
        }
    }

    [Fact]
    public void Json_EveryChangeSetOfTheSample_IsWhatFirelyGivesForTheBundle()
    {
        var maps = MappingLoader.Load([RepositoryPaths.Mappings, Path.Combine(RepositoryPaths.Samples, "hospital-mappings")], new CodeSystems());
        var study = new StudyDefinition();
        var builder = new RegistryRecordBuilder(Source, study, Pseudonyms);
        var zone = NodaTime.DateTimeZoneProviders.Tzdb["Asia/Shanghai"];
        var input = Path.Combine(RepositoryPaths.Samples, "synthetic-hospital");

        // As of October 2024 (some windows still open, later operations not there yet), then the end of 2025 (closed: outcomes final, subjects off study), then no records at all.
        var early = new Dictionary<string, IReadOnlyList<RegistryRecord>>(StringComparer.Ordinal);
        var late = new Dictionary<string, IReadOnlyList<RegistryRecord>>(StringComparer.Ordinal);
        foreach (var (asOf, into) in new[] { ("2024-10-15T00:00:00+08:00", early), ("2025-12-31T00:00:00+08:00", late) })
        {
            new FileDetection(maps, new UnplannedReturnRule(study)).Run(
                [input], OffsetDateTimePattern.ExtendedIso.Parse(asOf).Value, zone,
                (timeline, detection, _) => into[timeline.Patient.Id] = builder.Build(timeline, detection.Subjects),
                _ => { });
        }

        int added = 0, updated = 0, retracted = 0;
        foreach (var (patient, records) in early)
        {
            var (first, additions) = Reconciler.Reconcile(Source, builder.Study(), records, [], Recorded);
            AssertSameAsFirely(additions);
            added += additions.Count;

            var (second, updates) = Reconciler.Reconcile(Source, builder.Study(), late.GetValueOrDefault(patient, []), first, Recorded.AddDays(1));
            AssertSameAsFirely(updates);
            updated += updates.Count;

            // Every record held differently: every subject's change set is an update.
            var (_, all) = Reconciler.Reconcile(Source, builder.Study(), late.GetValueOrDefault(patient, []), [.. second.Select(p => p with { Hash = "held" })], Recorded.AddDays(2));
            AssertSameAsFirely(all);
            updated += all.Count;

            var (_, retractions) = Reconciler.Reconcile(Source, builder.Study(), [], second, Recorded.AddDays(3));
            AssertSameAsFirely(retractions);
            retracted += retractions.Count;
        }

        Assert.True(added > 100 && updated > 10 && retracted > 100, $"{added} added, {updated} updated, {retracted} retracted");
    }

    [Fact]
    public void Json_TextThatJsonEscapes_IsWhatFirelyGivesForTheBundle()
    {
        var study = new RegistryRecord(new RegistryKey("ResearchStudy", "https://clinicaltrials.gov", "NCT\"05995327"), "", new ResearchStudy
        {
            Status = ResearchStudy.ResearchStudyStatus.Active,
            Arm = [new ResearchStudy.ArmComponent { Name = "脊柱 <tumor> & 'other' \\ é \u2028 \t" }],
        });
        var patient = new RegistryRecord(new RegistryKey("Patient", "urn:pseudonym|x", "p 1/ü?&="), "s1", new Patient { Gender = AdministrativeGender.Female, BirthDate = "1950" });
        var subject = new RegistryRecord(new RegistryKey("ResearchSubject", "urn:subject", "s1"), "s1", new ResearchSubject
        {
            Status = ResearchSubject.ResearchSubjectStatus.OffStudy,
            AssignedArm = "脊柱 <tumor> & 'other'",
            Study = new ResourceReference(study.FullUrl),
            Individual = new ResourceReference(patient.FullUrl),
        });
        var observation = new RegistryRecord(new RegistryKey("Observation", "urn:observation", "o1"), "s1", new Observation
        {
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", "2345-7"),
            Value = new Quantity { Value = 5.40m, Unit = "µmol/L", System = "http://unitsofmeasure.org", Code = "umol/L" },
            Effective = new FhirDateTime("2024-03-01T09:30:00.120+08:00"),
        });

        var (projection, added) = Reconciler.Reconcile(Source, study, [patient, subject, observation], [], Recorded);
        AssertSameAsFirely(added);
        var (_, retracted) = Reconciler.Reconcile(Source, study, [], projection, Recorded);
        AssertSameAsFirely(retracted);
    }
}
