using Hl7.Fhir.Model;
using static FhirBridge.Tests.Conformance.RegistryResources;

namespace FhirBridge.Tests.Conformance;

/// <summary>Extension slices by url: their cardinality, and each extension against its own definition when profiles/ has it.</summary>
public class ExtensionSliceTests
{
    [Fact]
    public void Slice_RequiredExtensionMissing_ReportsMinOnTheSlice()
    {
        var procedure = Procedure();
        procedure.Extension.RemoveAll(e => e.Url == RegistryProfiles.ResearchSubjectExtension);

        ViolationAssert.ReportsOnly(procedure, "min", "Procedure.extension:researchSubject");
    }

    [Fact]
    public void Slice_CoreExtensionMissing_ReportsMinOnTheSlice()
    {
        var patient = Patient();
        patient.Extension.RemoveAll(e => e.Url == RegistryProfiles.ResearchStudyExtension);

        ViolationAssert.ReportsOnly(patient, "min", "Patient.extension:researchStudy");
    }

    [Fact]
    public void Slice_OneOnlyExtensionTwice_ReportsMaxOnTheSlice()
    {
        var patient = Patient();
        patient.Extension.Add(StudyExtension());

        ViolationAssert.ReportsOnly(patient, "max", "Patient.extension:researchStudy");
    }

    [Fact]
    public void Slice_OneToManyExtensionSeveralTimes_Conforms()
    {
        var patient = Patient();
        patient.Extension.Add(SubjectExtension(withReference: false));
        patient.Extension.Add(SubjectExtension(withReference: false));

        ViolationAssert.Conforms(patient);
    }

    [Fact]
    public void Slice_OptionalExtensionAbsent_Conforms()
    {
        var procedure = Procedure();
        procedure.Extension.RemoveAll(e => e.Url == RegistryProfiles.OperationSettingExtension);

        ViolationAssert.Conforms(procedure);
    }

    [Fact]
    public void Slice_OptionalExtensionTwice_ReportsMax()
    {
        var procedure = Procedure();
        procedure.Extension.Add(OperationSetting("ward"));

        ViolationAssert.ReportsOnly(procedure, "max", "Procedure.extension:operationSetting");
    }

    [Fact]
    public void Slice_ExtensionOnRepeatingBackboneTwice_ReportsMaxForThatParent()
    {
        var provenance = Provenance();
        provenance.Entity[0].Extension.Add(new Extension(RegistryProfiles.SourceVersionExtension, new FhirString("4")));

        var violation = ViolationAssert.ReportsOnly(provenance, "max", "Provenance.entity.extension:sourceVersion");

        Assert.Contains("Provenance.entity[0]", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ExtensionDefinition_ValueOfAnotherType_ReportsTypeUnderTheSlice()
    {
        var patient = Patient();
        patient.Extension[0] = new Extension(RegistryProfiles.ResearchSubjectExtension, new FhirString(Pseudonym("subject")));

        ViolationAssert.ReportsOnly(patient, "type", "Patient.extension:researchSubject.value[x]");
    }

    [Fact]
    public void ExtensionDefinition_NoValue_ReportsMinUnderTheSlice()
    {
        var procedure = Procedure();
        procedure.Extension.Add(new Extension { Url = RegistryProfiles.OperationSettingExtension });
        procedure.Extension.RemoveAt(2); // the one with a value

        // The SDK also says an extension needs a value or children (empty element); the profile says which value.
        ViolationAssert.Reports(procedure, "min", "Procedure.extension:operationSetting.value[x]");
    }

    [Fact]
    public void ExtensionDefinition_FixedValueInsideTheValueDiffers_ReportsFixed()
    {
        var procedure = Procedure();
        procedure.Extension[0] = new Extension(
            RegistryProfiles.ResearchSubjectExtension,
            new ResourceReference { Reference = SubjectUrn, Type = "ResearchSubject", Identifier = new Identifier("http://hospital.example/study-subject", Pseudonym("subject")) });

        ViolationAssert.ReportsOnly(procedure, "fixed", "Procedure.extension:researchSubject.value[x].identifier.system");
    }

    [Fact]
    public void ExtensionDefinition_RequiredChildOfValueMissing_ReportsMin()
    {
        var adverseEvent = AdverseEvent();
        adverseEvent.Extension[1] = new Extension(RegistryProfiles.ReturnProcedureExtension, new ResourceReference(ReturnUrn));

        ViolationAssert.ReportsOnly(adverseEvent, "min", "AdverseEvent.extension:returnProcedure.value[x].identifier");
    }

    [Fact]
    public void ExtensionDefinition_OnRepeatingBackbone_ValueOfAnotherType_ReportsType()
    {
        var provenance = Provenance();
        provenance.Entity[0].Extension[0].Value = new Integer(3);

        ViolationAssert.ReportsOnly(provenance, "type", "Provenance.entity.extension:sourceVersion.value[x]");
    }

    [Fact]
    public void ExtensionDefinition_ConformingValues_Conform()
    {
        var procedure = Procedure();
        procedure.Extension[2] = OperationSetting("ward");

        ViolationAssert.Conforms(procedure);
    }

    [Fact]
    public void CoreExtensionSlice_ChildTheProfileRequiresMissing_ReportsMin()
    {
        var observation = OutcomeObservation();
        observation.Extension[1] = new Extension(RegistryProfiles.ResearchStudyExtension, new ResourceReference { Display = "the study" });

        ViolationAssert.ReportsOnly(observation, "min", "Observation.extension:researchStudy.value[x].reference");
    }

    [Fact]
    public void CoreExtensionSlice_ValueOfAnotherType_ReportsType()
    {
        var observation = OutcomeObservation();
        observation.Extension[1] = new Extension(RegistryProfiles.ResearchStudyExtension, new FhirString("NCT05995327"));

        ViolationAssert.ReportsOnly(observation, "type", "Observation.extension:researchStudy.value[x]");
    }

    [Fact]
    public void OpenSlicing_UnknownExtensionOnProcedure_Conforms()
    {
        var procedure = Procedure();
        procedure.Extension.Add(new Extension("http://example.org/StructureDefinition/other", new FhirBoolean(true)));

        ViolationAssert.Conforms(procedure);
    }
}
