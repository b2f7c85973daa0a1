using System.Text.Json.Nodes;
using FhirBridge.Conformance;
using Hl7.Fhir.Model;
using Hl7.Fhir.Validation;

namespace FhirBridge.Tests.Conformance;

/// <summary>
/// <see cref="FastElementValidation"/> answers "nothing" only where the SDK's own validation finds nothing: checked on
/// every resource the validator sees over the reference corpus (real registry resources and thousands of mutated
/// copies) and on every Bundle the transaction check sees, and rule by rule on instances the SDK reports.
/// </summary>
public class FastElementValidationTests
{
    [Fact]
    public void CrossCheck_EveryResourceOfTheReferenceCorpus_FastNothingOnlyWhereTheSdkFindsNothing()
    {
        var disagreements = new List<string>();
        var current = "";
        Base? root = null;
        var rootAnsweredFast = false;
        var fastAnswers = 0;
        var validator = new ProfileValidator(RegistryProfiles.Set)
        {
            ElementCrossCheck = (instance, sdkIssues) =>
            {
                fastAnswers++;
                rootAnsweredFast |= ReferenceEquals(instance, root);
                if (sdkIssues > 0)
                {
                    disagreements.Add(current);
                }
            },
        };

        var copies = 0;
        var originals = 0;
        var originalsFast = 0;
        foreach (var (label, isOriginal, resource) in ValidatorReferenceTests.MutatedResources())
        {
            current = label;
            root = resource;
            rootAnsweredFast = false;
            validator.Validate(resource);
            copies++;
            if (isOriginal)
            {
                originals++;
                originalsFast += rootAnsweredFast ? 1 : 0;
            }
        }

        Assert.True(copies > 5000, $"only {copies} copies checked");
        Assert.Empty(disagreements);

        // The real registry resources must take the fast path, or it could silently decline everything.
        Assert.True(originals >= 31, $"only {originals} originals");
        Assert.Equal(originals, originalsFast);
        Assert.True(fastAnswers > copies / 2, $"fast path answered {fastAnswers} of {copies} copies");
    }

    [Fact]
    public void CrossCheck_EveryBundleTheTransactionCheckSees_FastNothingOnlyWhereTheSdkFindsNothing()
    {
        var disagreements = new List<string>();
        var current = "";
        var bundlesFast = 0;
        var validator = new ProfileValidator(RegistryProfiles.Set)
        {
            ElementCrossCheck = (instance, sdkIssues) =>
            {
                bundlesFast += instance is Bundle ? 1 : 0;
                if (sdkIssues > 0)
                {
                    disagreements.Add(current);
                }
            },
        };
        var validation = new TransactionValidation(validator);

        var resources = File.ReadLines(Path.Combine(ValidatorReferenceTests.Fixtures, "registry-resources.ndjson")).Select(line => JsonNode.Parse(line)!).ToList();
        var bundle = Transaction(resources.Take(12));
        current = "original";
        Assert.Empty(validation.Validate(bundle.ToJsonString())!);
        Assert.Equal(1, bundlesFast);

        var checkedBundles = 0;
        foreach (var (name, copy) in ValidatorReferenceTests.Mutations(bundle))
        {
            if (!name.Contains("/resource/", StringComparison.Ordinal) || name.EndsWith("/resource", StringComparison.Ordinal))
            {
                current = name;
                validation.Validate(copy.ToJsonString());
                checkedBundles++;
            }
        }

        Assert.True(checkedBundles > 50, $"only {checkedBundles} bundles checked");
        Assert.Empty(disagreements);
    }

    /// <summary>Instances the SDK reports, one per rule the fast path replicates.</summary>
    public static TheoryData<string, Func<Base>> Reported => new()
    {
        { "cardinality min (mandatory element missing)", () => Conforming(p => p.Communication = [new Patient.CommunicationComponent { Preferred = true }]) },
        { "null item in a repeating element", () => Conforming(p => p.Identifier.Add(null!)) },
        { "empty element", () => Conforming(p => p.Identifier.Add(new Identifier())) },
        { "empty primitive", () => Conforming(p => p.BirthDateElement = new Date()) },
        { "date literal", () => Conforming(p => p.BirthDateElement = new Date("1970-13")) },
        { "dateTime literal", () => Conforming(p => p.Deceased = new FhirDateTime { JsonValue = "2020-01-01T25:00:00Z" }) },
        { "instant literal", () => Conforming(p => p.Meta = new Meta { LastUpdatedElement = new Instant { JsonValue = "2020-01-01" } }) },
        { "code literal", () => Conforming(p => p.Communication = [new Patient.CommunicationComponent { Language = new CodeableConcept { Coding = [new Coding { CodeElement = new Code { JsonValue = " de" } }] } }]) },
        { "enum code literal", () => Conforming(p => p.GenderElement = new Code<AdministrativeGender> { JsonValue = "unknown-gender" }) },
        { "id literal", () => Conforming(p => p.IdElement = new Id { JsonValue = "not an id" }) },
        { "uri literal", () => Conforming(p => p.Identifier[0].SystemElement = new FhirUri { JsonValue = "urn:oid:1.2.x" }) },
        { "string literal", () => Conforming(p => p.Identifier[0].ValueElement = new FhirString { JsonValue = "" }) },
        { "canonical literal", () => Conforming(p => p.Meta = new Meta { ProfileElement = [new Canonical { JsonValue = "urn:uuid:not-a-uuid" }] }) },
        { "boolean of the wrong .NET type", () => Conforming(p => p.ActiveElement = new FhirBoolean { JsonValue = "yes" }) },
        { "integer of the wrong .NET type", () => Conforming(p => p.MultipleBirth = new Integer { JsonValue = "2" }) },
        { "positiveInt zero", () => new Observation { Status = ObservationStatus.Final, Code = Concept(), Component = [new Observation.ComponentComponent { Code = Concept(), Value = new SampledData { Origin = new Quantity(1, "mg"), Period = 1, Dimensions = 0, Data = "1" } }] } },
        { "decimal of the wrong .NET type", () => new Observation { Status = ObservationStatus.Final, Code = Concept(), Value = new Quantity { ValueElement = new FhirDecimal { JsonValue = "1.5" } } } },
        { "choice type not allowed", () => new Observation { Status = ObservationStatus.Final, Code = Concept(), Value = new Attachment { Title = "x" } } },
        { "open choice not an open type", () => Conforming(p => p.Extension.Add(new Extension { Url = "http://example.org/x", Value = new ProdCharacteristic { Shape = "round" } })) },
        { "unknown element (overflow)", () => Conforming(p => p.SetValue("notAnElement", new FhirString("x"))) },
    };

    /// <summary>Instances the SDK accepts but that are outside what the fast path understands.</summary>
    public static TheoryData<string, Func<Base>> Declined => new()
    {
        { "contained resource", () => Conforming(p => p.Contained = [new Organization { Name = "x" }]) },
        { "narrative", () => Conforming(p => p.Text = new Narrative { Status = Narrative.NarrativeStatus.Generated, Div = "<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>" }) },
        { "a Bundle entry's resource", () => new Bundle { Type = Bundle.BundleType.Transaction, Entry = [new Bundle.EntryComponent { Resource = Conforming(_ => { }) }] } },
    };

    [Theory]
    [MemberData(nameof(Reported))]
    public void SurelyFindsNothing_WhereTheSdkReports_Declines(string rule, Func<Base> make)
    {
        var instance = make();

        Assert.True(instance.Validate(ModelInfo.ModelInspector, NarrativeValidationKind.None, null, true).Count > 0, $"{rule}: the SDK finds nothing, so the case shows nothing");
        Assert.False(FastElementValidation.SurelyFindsNothing(instance), rule);
    }

    [Theory]
    [MemberData(nameof(Declined))]
    public void SurelyFindsNothing_OutsideWhatItUnderstands_Declines(string situation, Func<Base> make)
    {
        var instance = make();

        Assert.Empty(instance.Validate(ModelInfo.ModelInspector, NarrativeValidationKind.None, null, true));
        Assert.False(FastElementValidation.SurelyFindsNothing(instance), situation);
    }

    [Fact]
    public void SurelyFindsNothing_ConformingInstances_AnswersNothing()
    {
        // The controls of the cases above: without the fault the fast path does answer, so each case tests its rule.
        Base[] instances =
        [
            Conforming(_ => { }),
            Conforming(p => p.BirthDateElement = new Date { Extension = [new Extension("http://example.org/absent", new Code("asked-declined"))] }),
            Conforming(p => p.Extension.Add(new Extension("http://example.org/x", new Identifier("urn:x", "1")))),
            new Observation { Status = ObservationStatus.Final, Code = Concept(), Value = new Quantity(1.5m, "mg"), Effective = new FhirDateTime("2020-01-01T10:00:00Z") },
            new Bundle { Type = Bundle.BundleType.Transaction, Entry = [new Bundle.EntryComponent { FullUrl = "urn:uuid:6f1b2c3d-0000-4000-8000-000000000001", Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = "Patient/1" } }] },
        ];

        foreach (var instance in instances)
        {
            Assert.Empty(instance.Validate(ModelInfo.ModelInspector, NarrativeValidationKind.None, null, true));
            Assert.True(FastElementValidation.SurelyFindsNothing(instance), instance.TypeName);
        }
    }

    private static Patient Conforming(Action<Patient> change)
    {
        var patient = new Patient
        {
            Id = "p1",
            Identifier = [new Identifier("urn:oid:1.2.3", "42")],
            Gender = AdministrativeGender.Female,
            BirthDate = "1970-01-01",
        };
        change(patient);
        return patient;
    }

    private static CodeableConcept Concept() => new("http://loinc.org", "1234-5");

    private static JsonObject Transaction(IEnumerable<JsonNode> resources)
    {
        var entries = new JsonArray();
        var n = 0;
        foreach (var resource in resources)
        {
            n++;
            entries.Add(new JsonObject
            {
                ["fullUrl"] = $"urn:uuid:6f1b2c3d-0000-4000-8000-{n:D12}",
                ["resource"] = resource.DeepClone(),
                ["request"] = new JsonObject { ["method"] = "PUT", ["url"] = $"{(string?)resource["resourceType"]}?identifier=x|{n}" },
            });
        }

        return new JsonObject { ["resourceType"] = "Bundle", ["type"] = "transaction", ["entry"] = entries };
    }
}
