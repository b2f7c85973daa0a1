using System.Text.Json.Nodes;
using FhirBridge.Conformance;
using FhirBridge.Reconcile;
using FhirBridge.Registry;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using FhirBridge.Tests.Reconcile;

namespace FhirBridge.Tests.Conformance;

/// <summary>
/// <see cref="TransactionValidation.ConformsAsBuilt"/>, the check of a change set on the objects it was made from, never
/// lets through what the push's check of its JSON would stop: over every change set of the synthetic sample it says
/// "conforms" exactly for those the strict check finds nothing in, and over every mutated resource and Bundle of the
/// reference fixture, read into objects, "conforms" always means the strict check of their JSON finds nothing.
/// </summary>
public class BuiltTransactionCheckTests
{
    private const string Source = "hospital-a";
    private static readonly TransactionValidation Validation = new(RegistryProfiles.Validator);
    private static readonly FhirJsonSerializer Serializer = new();
    private static readonly FhirJsonDeserializer Unvalidated = new(new DeserializerSettings { Validator = null });

    [Fact]
    public void ConformsAsBuilt_EveryChangeSetOfTheSample_ConformsExactlyWhenTheStrictCheckFindsNothing()
    {
        int conforming = 0, total = 0;
        foreach (var (_, changes) in SampleChangeSets.All())
        {
            var before = changes.Select(c => Serializer.SerializeToString(c.Transaction)).ToList();
            var verdicts = Validation.ConformsAsBuilt(changes);

            for (var i = 0; i < changes.Count; i++)
            {
                var strict = Validation.ValidateStrictly(changes[i].Json);
                Assert.NotNull(strict);
                Assert.True(verdicts[i] == (strict.Count == 0), $"change set {total}: built {(verdicts[i] ? "conforms" : "not known")}, strict {strict.Count} violation(s)");

                // The objects are the caller's: every entry is back, nothing changed.
                Assert.Equal(before[i], Serializer.SerializeToString(changes[i].Transaction));
                conforming += verdicts[i] ? 1 : 0;
                total++;
            }
        }

        // The sample's change sets conform: a check that said "not known" for all would be useless, not wrong.
        Assert.True(total > 300 && conforming == total, $"{conforming} of {total} conform");
    }

    [Fact]
    public void ConformsAsBuilt_EveryMutatedResource_ConformsOnlyWhenTheStrictCheckFindsNothing()
    {
        int conforming = 0, refused = 0;
        foreach (var original in TransactionValidationTests.Resources())
        {
            foreach (var (name, copy) in ValidatorReferenceTests.Mutations(original).Prepend(("original", original)))
            {
                Tally(Check(name, TransactionValidationTests.Transaction([copy])), ref conforming, ref refused);
            }
        }

        Assert.True(conforming > 10 && refused > 100, $"{conforming} conform, {refused} not known");
    }

    [Fact]
    public void ConformsAsBuilt_EveryMutationOfTheBundleItself_ConformsOnlyWhenTheStrictCheckFindsNothing()
    {
        var bundle = TransactionValidationTests.Transaction(TransactionValidationTests.Resources().Take(12));
        int conforming = 0, refused = 0;
        foreach (var (name, copy) in ValidatorReferenceTests.Mutations(bundle))
        {
            if (!name.Contains("/resource/", StringComparison.Ordinal) || name.EndsWith("/resource", StringComparison.Ordinal))
            {
                Tally(Check(name, (JsonObject)copy), ref conforming, ref refused);
            }
        }

        Assert.True(conforming > 0 && refused > 10, $"{conforming} conform, {refused} not known");
    }

    [Fact]
    public void ConformsAsBuilt_NarrativeOrAViolationInALaterChangeSet_NotKnownForThatOneOnly()
    {
        var changes = SampleChangeSets.All().Select(s => s.Changes).First(c => c.Count > 0).ToList();
        var patient = changes[0].Transaction.Entry.Select(e => e.Resource).OfType<Patient>().First();
        var withNarrative = (Patient)patient.DeepCopy();
        withNarrative.Text = new Narrative { Status = Narrative.NarrativeStatus.Generated, Div = "<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>" };
        var withoutProfile = (Patient)patient.DeepCopy();
        withoutProfile.Meta = null;

        var verdicts = Validation.ConformsAsBuilt([changes[0], ChangeSetWith(changes[0], patient, withNarrative), ChangeSetWith(changes[0], patient, withoutProfile), changes[0]]);

        Assert.Equal([true, false, false, true], verdicts);
    }

    [Fact]
    public void Fingerprint_SameProfiles_SameFingerprint_AnyDefinitionChanged_Another()
    {
        var dir = Directory.CreateTempSubdirectory("fhirbridge-fingerprint-").FullName;
        try
        {
            foreach (var file in Directory.GetFiles(RegistryProfiles.Directory, "*.json"))
            {
                File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
            }

            Assert.Equal(RegistryProfiles.Validator.Fingerprint, new ProfileValidator(ProfileSet.Load(dir)).Fingerprint);
            Assert.Matches("^[0-9a-f]{64}$", RegistryProfiles.Validator.Fingerprint);

            var first = Directory.GetFiles(dir, "*.json").Order(StringComparer.Ordinal).First();
            var definition = JsonNode.Parse(File.ReadAllText(first))!;
            definition["publisher"] = "someone else";
            File.WriteAllText(first, definition.ToJsonString());

            Assert.NotEqual(RegistryProfiles.Validator.Fingerprint, new ProfileValidator(ProfileSet.Load(dir)).Fingerprint);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // Reads the Bundle into objects as a recompute would hold them (null when the SDK cannot even do that without its
    // validation), checks it as built, and holds the verdict against the strict check of the JSON those objects give.
    private static bool? Check(string name, JsonObject transaction)
    {
        Bundle bundle;
        try
        {
            bundle = Unvalidated.Deserialize<Bundle>(transaction.ToJsonString());
        }
        catch (Exception e) when (e is DeserializationFailedException or FormatException or System.Text.Json.JsonException)
        {
            return null;
        }

        string json;
        try
        {
            json = Serializer.SerializeToString(bundle);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException)
        {
            return null; // objects the serializer refuses never become a change set
        }

        var change = new ChangeSet("s", ProvenanceBuilder.Reasons.SubjectAdded, bundle) { Json = json };
        var conforms = Assert.Single(Validation.ConformsAsBuilt([change]));
        if (conforms)
        {
            var strict = Validation.ValidateStrictly(json);
            Assert.True(strict is { Count: 0 }, $"{name}: built conforms, strict {(strict is null ? "unreadable" : $"{strict.Count} violation(s)")}");
        }

        return conforms;
    }

    // Counts a verdict of Check; an instance that never becomes a change set (null) counts for neither.
    private static void Tally(bool? conforms, ref int conforming, ref int refused)
    {
        if (conforms is { } known)
        {
            _ = known ? conforming++ : refused++;
        }
    }

    private static ChangeSet ChangeSetWith(ChangeSet change, Resource replaced, Resource by)
    {
        var bundle = (Bundle)change.Transaction.DeepCopy();
        var at = change.Transaction.Entry.FindIndex(e => ReferenceEquals(e.Resource, replaced));
        bundle.Entry[at].Resource = by;
        return new ChangeSet(change.SubjectKey, change.Reason, bundle);
    }

}
