using FhirBridge.Conformance;
using Hl7.Fhir.Model;

namespace FhirBridge.Tests.Conformance;

/// <summary>The shipped profiles/ against the registry model contract, and refusing bad profile files.</summary>
public sealed class ProfileSetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fhirbridge-profiles-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Every profile and locally defined extension of the contract: url, constrained type, kind.</summary>
    public static TheoryData<string, string, StructureDefinition.StructureDefinitionKind> Contract() => new()
    {
        { RegistryProfiles.ResearchStudy, "ResearchStudy", StructureDefinition.StructureDefinitionKind.Resource },
        { RegistryProfiles.Patient, "Patient", StructureDefinition.StructureDefinitionKind.Resource },
        { RegistryProfiles.ResearchSubject, "ResearchSubject", StructureDefinition.StructureDefinitionKind.Resource },
        { RegistryProfiles.Procedure, "Procedure", StructureDefinition.StructureDefinitionKind.Resource },
        { RegistryProfiles.AdverseEvent, "AdverseEvent", StructureDefinition.StructureDefinitionKind.Resource },
        { RegistryProfiles.OutcomeObservation, "Observation", StructureDefinition.StructureDefinitionKind.Resource },
        { RegistryProfiles.RiskFactorObservation, "Observation", StructureDefinition.StructureDefinitionKind.Resource },
        { RegistryProfiles.Provenance, "Provenance", StructureDefinition.StructureDefinitionKind.Resource },
        { RegistryProfiles.ResearchSubjectExtension, "Extension", StructureDefinition.StructureDefinitionKind.ComplexType },
        { RegistryProfiles.OperationSettingExtension, "Extension", StructureDefinition.StructureDefinitionKind.ComplexType },
        { RegistryProfiles.ReturnProcedureExtension, "Extension", StructureDefinition.StructureDefinitionKind.ComplexType },
        { RegistryProfiles.SourceVersionExtension, "Extension", StructureDefinition.StructureDefinitionKind.ComplexType },
    };

    [Theory]
    [MemberData(nameof(Contract))]
    public void Load_ShippedProfiles_HaveEveryContractProfileAsAnActiveR4Differential(string url, string type, StructureDefinition.StructureDefinitionKind kind)
    {
        var definition = RegistryProfiles.Set.Find(url);

        Assert.NotNull(definition);
        Assert.Equal(type, definition.Type);
        Assert.Equal(kind, definition.Kind);
        Assert.Equal(PublicationStatus.Active, definition.Status);
        Assert.Equal(FHIRVersion.N4_0_1, definition.FhirVersion);
        Assert.Equal(StructureDefinition.TypeDerivationRule.Constraint, definition.Derivation);
        Assert.Equal("http://hl7.org/fhir/StructureDefinition/" + type, definition.BaseDefinition);
        Assert.Null(definition.Snapshot);
        Assert.Equal(RegistryProfiles.Base + definition.Id, url);
        Assert.True(File.Exists(Path.Combine(RegistryProfiles.Directory, $"StructureDefinition-{definition.Id}.json")), $"StructureDefinition-{definition.Id}.json");
    }

    [Fact]
    public void Load_ShippedProfiles_EveryFileLoadsAndCompiles()
    {
        var files = Directory.GetFiles(RegistryProfiles.Directory, "*.json");

        var set = ProfileSet.Load(RegistryProfiles.Directory);
        var validator = new ProfileValidator(set);

        Assert.Equal(files.Length, set.Definitions.Count);
        Assert.Equal(Contract().Count, set.Definitions.Count); // nothing beyond the contract
        Assert.NotNull(validator);
    }

    [Fact]
    public void Load_ShippedResourceProfiles_EachHasAnErrorInvariant()
    {
        var resourceProfiles = RegistryProfiles.Set.Definitions.Where(d => d.Kind == StructureDefinition.StructureDefinitionKind.Resource);

        Assert.All(resourceProfiles, d => Assert.Contains(d.Differential!.Element.SelectMany(e => e.Constraint), c => c.Severity == ConstraintSeverity.Error && c.Key!.StartsWith("fb-", StringComparison.Ordinal)));
    }

    [Fact]
    public void Load_ShippedResourceProfiles_ForbidNarrative()
    {
        var resourceProfiles = RegistryProfiles.Set.Definitions.Where(d => d.Kind == StructureDefinition.StructureDefinitionKind.Resource);

        Assert.All(resourceProfiles, d => Assert.Contains(d.Differential!.Element, e => e.ElementId == d.Type + ".text" && e.Max == "0"));
    }

    [Fact]
    public void Load_MissingDirectory_Throws()
    {
        var missing = Path.Combine(_dir, "nope");

        var e = Assert.Throws<InvalidProfileException>(() => ProfileSet.Load(missing));

        Assert.Contains(missing, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MalformedJson_ThrowsNamingTheFile()
    {
        var file = Write("StructureDefinition-broken.json", """{ "resourceType": "StructureDefinition", """);

        var e = Assert.Throws<InvalidProfileException>(() => ProfileSet.Load(_dir));

        Assert.Contains(file, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_UnknownElement_ThrowsNamingTheFile()
    {
        var file = Write("sd.json", Definition("x").Replace("\"status\"", "\"statsu\"", StringComparison.Ordinal));

        var e = Assert.Throws<InvalidProfileException>(() => ProfileSet.Load(_dir));

        Assert.Contains(file, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_NotAStructureDefinition_ThrowsNamingTheFile()
    {
        var file = Write("p.json", """{ "resourceType": "Patient", "id": "x" }""");

        var e = Assert.Throws<InvalidProfileException>(() => ProfileSet.Load(_dir));

        Assert.Contains(file, e.Message, StringComparison.Ordinal);
        Assert.Contains("Patient", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"url\": \"http://example.org/StructureDefinition/x\",", "", "url")]
    [InlineData("\"fhirVersion\": \"4.0.1\"", "\"fhirVersion\": \"5.0.0\"", "4.0.1")]
    [InlineData("\"derivation\": \"constraint\"", "\"derivation\": \"specialization\"", "constraint")]
    [InlineData("\"element\": [ { \"id\": \"Patient.name\", \"path\": \"Patient.name\", \"max\": \"0\" } ]", "\"element\": []", "differential")]
    public void Load_DefinitionMissingWhatAProfileNeeds_ThrowsNamingFileAndProblem(string original, string replacement, string problem)
    {
        var file = Write("sd.json", Definition("x").Replace(original, replacement, StringComparison.Ordinal));

        var e = Assert.Throws<InvalidProfileException>(() => ProfileSet.Load(_dir));

        Assert.Contains(file, e.Message, StringComparison.Ordinal);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TwoFilesWithOneUrl_ThrowsNamingBoth()
    {
        var first = Write("a.json", Definition("x"));
        var second = Write("b.json", Definition("x"));

        var e = Assert.Throws<InvalidProfileException>(() => ProfileSet.Load(_dir));

        Assert.Contains(first, e.Message, StringComparison.Ordinal);
        Assert.Contains(second, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_OtherFiles_AreIgnored()
    {
        Write("README.md", "# not a profile");
        Write("sd.json", Definition("x"));

        Assert.Single(ProfileSet.Load(_dir).Definitions);
    }

    [Fact]
    public void Find_UnknownUrl_ReturnsNull()
    {
        Assert.Null(RegistryProfiles.Set.Find("http://example.org/StructureDefinition/nope"));
    }

    [Theory]
    [InlineData("Patient.telcom", "Patient has no element telcom")]
    [InlineData("Patient.deceased", "deceased[x]")]
    [InlineData("Patient.name[x]", "no choice element name[x]")]
    [InlineData("Observation.value[x]", "does not start with Patient")]
    public void Validator_ElementTheModelDoesNotHave_ThrowsNamingProfileAndElement(string id, string problem)
    {
        Write("sd.json", Definition("x").Replace("Patient.name", id, StringComparison.Ordinal));

        var e = Assert.Throws<InvalidProfileException>(() => new ProfileValidator(ProfileSet.Load(_dir)));

        Assert.Contains("http://example.org/StructureDefinition/x", e.Message, StringComparison.Ordinal);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validator_ChoiceTypeTheElementDoesNotAllow_Throws()
    {
        Write("sd.json", Definition("x", """{ "id": "Patient.deceased[x]", "path": "Patient.deceased[x]", "type": [ { "code": "Period" } ] }"""));

        var e = Assert.Throws<InvalidProfileException>(() => new ProfileValidator(ProfileSet.Load(_dir)));

        Assert.Contains("Period", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validator_SliceOtherThanExtension_Throws()
    {
        Write("sd.json", Definition("x", """
            { "id": "Patient.identifier", "path": "Patient.identifier", "slicing": { "discriminator": [ { "type": "value", "path": "system" } ], "rules": "open" } },
            { "id": "Patient.identifier:mrn", "path": "Patient.identifier", "sliceName": "mrn", "max": "0" }
            """));

        var e = Assert.Throws<InvalidProfileException>(() => new ProfileValidator(ProfileSet.Load(_dir)));

        Assert.Contains("Patient.identifier:mrn", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validator_ExtensionSliceWithoutUrlSlicing_Throws()
    {
        Write("sd.json", Definition("x", """
            { "id": "Patient.extension:a", "path": "Patient.extension", "sliceName": "a", "min": 1, "type": [ { "code": "Extension", "profile": [ "http://example.org/a" ] } ] }
            """));

        var e = Assert.Throws<InvalidProfileException>(() => new ProfileValidator(ProfileSet.Load(_dir)));

        Assert.Contains("slicing", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validator_InvariantThatDoesNotCompile_ThrowsNamingTheKey()
    {
        Write("sd.json", Definition("x", """
            { "id": "Patient", "path": "Patient", "constraint": [ { "key": "fb-x-1", "severity": "error", "human": "h", "expression": "name.exists(( and" } ] }
            """));

        var e = Assert.Throws<InvalidProfileException>(() => new ProfileValidator(ProfileSet.Load(_dir)));

        Assert.Contains("fb-x-1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validator_WarningInvariant_IsNotChecked()
    {
        Write("sd.json", Definition("x", """
            { "id": "Patient", "path": "Patient", "constraint": [ { "key": "fb-x-1", "severity": "warning", "human": "h", "expression": "false" } ] }
            """));
        var patient = new Patient { Meta = new Meta { Profile = ["http://example.org/StructureDefinition/x"] }, Gender = AdministrativeGender.Male };

        Assert.Empty(new ProfileValidator(ProfileSet.Load(_dir)).Validate(patient));
    }

    private string Write(string name, string text)
    {
        var file = Path.Combine(_dir, name);
        File.WriteAllText(file, text);
        return file;
    }

    private static string Definition(string id, string elements = """{ "id": "Patient.name", "path": "Patient.name", "max": "0" }""") => $$"""
        {
          "resourceType": "StructureDefinition",
          "id": "{{id}}",
          "url": "http://example.org/StructureDefinition/{{id}}",
          "name": "X",
          "status": "active",
          "fhirVersion": "4.0.1",
          "kind": "resource",
          "abstract": false,
          "type": "Patient",
          "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient",
          "derivation": "constraint",
          "differential": { "element": [ {{elements}} ] }
        }
        """;
}
