using FhirBridge.Reconcile;
using FhirBridge.Registry;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

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
    private static readonly DateTimeOffset Recorded = new(2026, 1, 1, 8, 30, 15, 123, TimeSpan.Zero);

    private static void AssertSameAsFirely(IReadOnlyList<ChangeSet> changes)
    {
        foreach (var change in changes)
        {
            var firely = Serializer.SerializeToString(change.Transaction);
            Assert.Equal(firely, change.Json);

            // ... and composed, not serialized again as a fallback, also with every resource written anew by the
            // reconcile's own writer.
            using var json = ResourceJson.Rent();
            Assert.Equal(firely, ChangeSetJson.TryCompose(change.Transaction, json));
        }
    }

    [Fact]
    public void Json_EveryChangeSetOfTheSample_IsWhatFirelyGivesForTheBundle()
    {
        var counts = new Dictionary<SampleChangeSets.Kind, int>();
        foreach (var (kind, changes) in SampleChangeSets.All())
        {
            AssertSameAsFirely(changes);
            counts[kind] = counts.GetValueOrDefault(kind) + changes.Count;
        }

        var (added, updated, retracted) = (counts[SampleChangeSets.Kind.Added], counts[SampleChangeSets.Kind.Updated], counts[SampleChangeSets.Kind.Retracted]);
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
