using FhirBridge.Conformance;
using Hl7.Fhir.Model;
using static FhirBridge.Tests.Conformance.RegistryResources;

namespace FhirBridge.Tests.Conformance;

/// <summary>Which profile a resource is checked against, the SDK's own validation, and what a violation may say.</summary>
public class ProfileValidatorTests
{
    public static TheoryData<string> Examples() => [.. RegistryResources.All.Keys];

    [Theory]
    [MemberData(nameof(Examples))]
    public void Validate_ConformingExample_HasNoViolations(string example)
    {
        var violations = RegistryProfiles.Validate(RegistryResources.All[example]());

        Assert.Empty(violations);
    }

    [Fact]
    public void Validate_NoMetaProfile_ReportsProfileRule()
    {
        var patient = Patient();
        patient.Meta = null;

        var violation = Assert.Single(RegistryProfiles.Validate(patient));

        Assert.Equal(new ProfileViolation("Patient", "Patient.meta.profile", "profile", violation.Message), violation);
    }

    [Fact]
    public void Validate_MetaWithoutProfile_ReportsProfileRule()
    {
        var patient = Patient();
        patient.Meta = new Meta { VersionId = "1" };

        Assert.Equal("profile", Assert.Single(RegistryProfiles.Validate(patient)).Rule);
    }

    [Fact]
    public void Validate_UnknownProfile_ReportsProfileRuleNamingTheUrl()
    {
        var patient = Patient();
        patient.Meta = Profile("http://example.org/StructureDefinition/not-ours");

        var violation = Assert.Single(RegistryProfiles.Validate(patient));

        Assert.Equal("profile", violation.Rule);
        Assert.Contains("http://example.org/StructureDefinition/not-ours", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_KnownAndUnknownProfile_ChecksTheKnownOneAndReportsTheOther()
    {
        var patient = Patient();
        patient.Meta = new Meta();
        patient.Meta.Profile = [RegistryProfiles.Patient, "http://example.org/StructureDefinition/not-ours"];
        patient.Name = [new HumanName { Family = "Doe" }];

        var rules = RegistryProfiles.Validate(patient).Select(v => v.Rule).Order(StringComparer.Ordinal);

        Assert.Equal(["max", "profile"], rules);
    }

    [Fact]
    public void Validate_ProfileOfAnotherResourceType_ReportsTypeRule()
    {
        var patient = Patient();
        patient.Meta = Profile(RegistryProfiles.Procedure);

        var violation = Assert.Single(RegistryProfiles.Validate(patient));

        Assert.Equal(("Patient", "Patient", "type"), (violation.ResourceType, violation.Path, violation.Rule));
    }

    [Fact]
    public void Validate_ExtensionDefinitionAsProfile_ReportsTypeRule()
    {
        var patient = Patient();
        patient.Meta = Profile(RegistryProfiles.ResearchSubjectExtension);

        Assert.Equal("type", Assert.Single(RegistryProfiles.Validate(patient)).Rule);
    }

    [Fact]
    public void Validate_SdkEmptyElement_ReportsSdkRuleAtTheInstancePath()
    {
        var subject = ResearchSubject();
        subject.Identifier.Add(new Identifier()); // an empty Identifier is invalid FHIR, whatever the profile says

        var sdk = Assert.Single(RegistryProfiles.Validate(subject), v => v.Rule == "sdk");

        Assert.Equal("ResearchSubject.identifier[1]", sdk.Path);
    }

    [Fact]
    public void Validate_SdkMissingCoreRequiredElement_ReportsSdkRule()
    {
        var study = ResearchStudy();
        study.StatusElement = null!; // ResearchStudy.status is 1..1 in core R4

        var violations = RegistryProfiles.Validate(study);

        Assert.Contains(violations, v => v.Rule == "sdk" && v.Path == "ResearchStudy.status");
        Assert.Contains(violations, v => v.Rule == "min" && v.Path == "ResearchStudy.status"); // the profile says so too
    }

    [Fact]
    public void Validate_SdkBadPrimitiveLiteral_ReportsSdkRuleWithoutTheLiteral()
    {
        var patient = Patient();
        patient.BirthDate = "19x7";

        var sdk = Assert.Single(RegistryProfiles.Validate(patient), v => v.Rule == "sdk");

        Assert.Equal("Patient.birthDate", sdk.Path);
        Assert.DoesNotContain("19x7", sdk.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_SdkValidPrimitivesAndElements_ReportsNoSdkRule()
    {
        var patient = Patient();
        patient.BirthDate = "1987";

        Assert.DoesNotContain(RegistryProfiles.Validate(patient), v => v.Rule == "sdk");
    }

    [Fact]
    public void Validate_IdentifyingPatient_NoMessageEchoesAValue()
    {
        var patient = Patient();
        patient.Identifier.Add(new Identifier("http://hospital.example/mrn", "MRN-0042-SECRET"));
        patient.Name = [new HumanName { Family = "Zhangsan", Given = ["Wei"] }];
        patient.Telecom = [new ContactPoint(ContactPoint.ContactPointSystem.Phone, null, "+86-10-5555-0199")];
        patient.Address = [new Address { City = "Haidian", Line = ["49 North Garden Road"] }];
        patient.BirthDate = "1970-05-17";
        patient.Extension.Add(new Extension("http://hospital.example/ethnicity", new FhirString("Han-SECRET")));

        var violations = RegistryProfiles.Validate(patient);

        Assert.NotEmpty(violations);
        string[] values = ["MRN-0042", "Zhangsan", "Wei", "5555", "Haidian", "North Garden", "1970-05-17", "05-17", "Han-SECRET", "hospital.example"];
        foreach (var violation in violations)
        {
            Assert.DoesNotContain(values, value => violation.Message.Contains(value, StringComparison.Ordinal) || violation.Path.Contains(value, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Validate_Null_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => RegistryProfiles.Validator.Validate(null!));
    }
}
