using Hl7.Fhir.Model;
using static FhirBridge.Tests.Conformance.RegistryResources;

namespace FhirBridge.Tests.Conformance;

/// <summary>min and max from the profiles' differentials, counted per parent instance.</summary>
public class CardinalityTests
{
    [Fact]
    public void Min_RequiredElementMissing_ReportsMin()
    {
        var subject = ResearchSubject();
        subject.AssignedArm = null;

        ViolationAssert.ReportsOnly(subject, "min", "ResearchSubject.assignedArm");
    }

    [Fact]
    public void Min_RequiredElementPresent_Conforms()
    {
        var subject = ResearchSubject();
        subject.AssignedArm = "unclassified";

        ViolationAssert.Conforms(subject);
    }

    [Fact]
    public void Min_ElementTheCoreMakesOptional_ReportsMinFromTheProfile()
    {
        var procedure = Procedure();
        procedure.Identifier = [];

        ViolationAssert.ReportsOnly(procedure, "min", "Procedure.identifier");
    }

    [Fact]
    public void Min_ChildOfRepeatingElement_CountedForEachParent()
    {
        var provenance = Provenance();
        provenance.Entity.Add(SourceEntity("Procedure/op2", null));
        provenance.Entity[1].What = new ResourceReference { Type = "Procedure" }; // no identifier

        var violation = ViolationAssert.ReportsOnly(provenance, "min", "Provenance.entity.what.identifier");

        Assert.Contains("Provenance.entity[1]", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Min_ChildOfEveryRepeatingElementPresent_Conforms()
    {
        var provenance = Provenance();
        provenance.Entity.Add(SourceEntity("Procedure/op2", null));

        ViolationAssert.Conforms(provenance);
    }

    [Fact]
    public void Min_ChildOfAbsentParent_OnlyTheParentIsReported()
    {
        var subject = ResearchSubject();
        subject.Period = null;

        ViolationAssert.ReportsOnly(subject, "min", "ResearchSubject.period");
    }

    [Fact]
    public void Min_ChildOfPresentParentMissing_ReportsTheChild()
    {
        var subject = ResearchSubject();
        subject.Period!.End = null;

        ViolationAssert.ReportsOnly(subject, "min", "ResearchSubject.period.end");
    }

    [Fact]
    public void Min_OneToManyEmpty_ReportsMin()
    {
        var study = ResearchStudy();
        study.Arm = [];

        ViolationAssert.ReportsOnly(study, "min", "ResearchStudy.arm");
    }

    [Fact]
    public void Max_OneToManyWithMany_Conforms()
    {
        var study = ResearchStudy();
        study.Arm.Add(new ResearchStudy.ArmComponent { Name = "revision" });

        ViolationAssert.Conforms(study);
    }

    [Fact]
    public void Max_TwoWhereOneIsAllowed_ReportsMax()
    {
        var patient = Patient();
        patient.Identifier.Add(new Identifier(Sid + "patient-pseudonym", Pseudonym("patient-2")));

        var violation = ViolationAssert.ReportsOnly(patient, "max", "Patient.identifier");

        Assert.Contains("found 2", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Max_OneWhereOneIsAllowed_Conforms()
    {
        var patient = Patient();
        patient.Identifier = [new Identifier(Sid + "patient-pseudonym", Pseudonym("patient-2"))];

        ViolationAssert.Conforms(patient);
    }

    /// <summary>Each element the pseudonymous Patient must not carry (registry-model: 0..0), and a way to set it.</summary>
    public static TheoryData<string> ForbiddenPatientElements() => [.. PatientSetters.Keys];

    private static readonly Dictionary<string, Action<Patient>> PatientSetters = new()
    {
        ["Patient.text"] = p => p.Text = new Narrative { Status = Narrative.NarrativeStatus.Generated, Div = "<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>" },
        ["Patient.contained"] = p => p.Contained = [new Organization { Id = "o", Name = "Hospital" }],
        ["Patient.modifierExtension"] = p => p.ModifierExtension = [new Extension("http://example.org/m", new FhirBoolean(true))],
        ["Patient.name"] = p => p.Name = [new HumanName { Family = "Doe" }],
        ["Patient.telecom"] = p => p.Telecom = [new ContactPoint(ContactPoint.ContactPointSystem.Phone, null, "555")],
        ["Patient.deceased[x]"] = p => p.Deceased = new FhirBoolean(false),
        ["Patient.address"] = p => p.Address = [new Address { City = "Beijing" }],
        ["Patient.maritalStatus"] = p => p.MaritalStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-MaritalStatus", "M"),
        ["Patient.multipleBirth[x]"] = p => p.MultipleBirth = new Integer(2),
        ["Patient.photo"] = p => p.Photo = [new Attachment { Url = "http://example.org/p.png" }],
        ["Patient.contact"] = p => p.Contact = [new Patient.ContactComponent { Gender = AdministrativeGender.Male }],
        ["Patient.communication"] = p => p.Communication = [new Patient.CommunicationComponent { Language = new CodeableConcept("urn:ietf:bcp:47", "zh") }],
        ["Patient.generalPractitioner"] = p => p.GeneralPractitioner = [new ResourceReference("Practitioner/1")],
        ["Patient.managingOrganization"] = p => p.ManagingOrganization = new ResourceReference("Organization/1"),
        ["Patient.link"] = p => p.Link = [new Patient.LinkComponent { Other = new ResourceReference("Patient/2"), Type = Hl7.Fhir.Model.Patient.LinkType.Seealso }],
    };

    [Theory]
    [MemberData(nameof(ForbiddenPatientElements))]
    public void MaxZero_ForbiddenPatientElementPresent_ReportsMax(string path)
    {
        var patient = Patient();
        PatientSetters[path](patient);

        ViolationAssert.ReportsOnly(patient, "max", path);
    }

    [Fact]
    public void MaxZero_PatientWithGenderAndBirthYearOnly_Conforms()
    {
        var patient = Patient();
        patient.Gender = AdministrativeGender.Male;
        patient.BirthDate = "1958";

        ViolationAssert.Conforms(patient);
    }

    [Fact]
    public void MaxZero_FreeTextNoteOnProcedure_ReportsMax()
    {
        var procedure = Procedure();
        procedure.Note = [new Annotation { Text = "revision for screw malposition" }];

        ViolationAssert.ReportsOnly(procedure, "max", "Procedure.note");
    }

    [Fact]
    public void MaxZero_HospitalReferenceInProvenanceEntity_ReportsMax()
    {
        var provenance = Provenance();
        provenance.Entity[0].What.Reference = "Procedure/op1";

        ViolationAssert.ReportsOnly(provenance, "max", "Provenance.entity.what.reference");
    }
}
