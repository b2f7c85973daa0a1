using Hl7.Fhir.Model;
using static FhirBridge.Tests.Conformance.RegistryResources;

namespace FhirBridge.Tests.Conformance;

/// <summary>fixed[x] (exactly the value) and pattern[x] (at least the pattern; for a CodeableConcept, one of its codings).</summary>
public class FixedAndPatternTests
{
    [Fact]
    public void Fixed_IdentifierSystemOtherThanFixed_ReportsFixed()
    {
        var procedure = Procedure();
        procedure.Identifier[0].System = "http://hospital.example/procedure-id";

        ViolationAssert.ReportsOnly(procedure, "fixed", "Procedure.identifier.system");
    }

    [Fact]
    public void Fixed_IdentifierSystemAsFixed_Conforms()
    {
        var procedure = Procedure();
        procedure.Identifier[0].System = "http://fhirbridge.org/fhir/sid/procedure";

        ViolationAssert.Conforms(procedure);
    }

    [Fact]
    public void Fixed_CodeOtherThanFixed_ReportsFixed()
    {
        var adverseEvent = AdverseEvent();
        adverseEvent.Actuality = Hl7.Fhir.Model.AdverseEvent.AdverseEventActuality.Potential;

        ViolationAssert.ReportsOnly(adverseEvent, "fixed", "AdverseEvent.actuality");
    }

    [Fact]
    public void Fixed_CodeAsFixed_Conforms()
    {
        var adverseEvent = AdverseEvent();
        adverseEvent.Actuality = Hl7.Fhir.Model.AdverseEvent.AdverseEventActuality.Actual;

        ViolationAssert.Conforms(adverseEvent);
    }

    [Fact]
    public void Fixed_InSecondOfRepeatingElements_ReportsThatInstance()
    {
        var provenance = Provenance();
        provenance.Entity.Add(SourceEntity("Encounter/e1", "1"));
        provenance.Entity[1].Role = Hl7.Fhir.Model.Provenance.ProvenanceEntityRole.Derivation;

        var violation = ViolationAssert.ReportsOnly(provenance, "fixed", "Provenance.entity.role");

        Assert.Contains("Provenance.entity[1]", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fixed_ViolationMessage_DoesNotQuoteTheValue()
    {
        var patient = Patient();
        patient.Identifier[0].System = "http://hospital.example/mrn";

        var violation = ViolationAssert.ReportsOnly(patient, "fixed", "Patient.identifier.system");

        Assert.DoesNotContain("hospital.example", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pattern_CodeableConceptWithoutThePatternCoding_ReportsPattern()
    {
        var adverseEvent = AdverseEvent();
        adverseEvent.Event = new CodeableConcept("http://snomed.info/sct", "397945004");

        ViolationAssert.ReportsOnly(adverseEvent, "pattern", "AdverseEvent.event");
    }

    [Fact]
    public void Pattern_CodeableConceptWithThePatternCodingAmongOthers_Conforms()
    {
        var adverseEvent = AdverseEvent();
        adverseEvent.Event = new CodeableConcept("http://snomed.info/sct", "397945004");
        adverseEvent.Event.Coding.Add(new Coding(Outcome, "unplanned-return-to-theatre", "Unplanned return to theatre"));

        ViolationAssert.Conforms(adverseEvent);
    }

    [Fact]
    public void Pattern_PatternCodeUnderAnotherSystem_ReportsPattern()
    {
        var observation = OutcomeObservation();
        observation.Code = new CodeableConcept("http://example.org/outcomes", "unplanned-return-within-window");

        ViolationAssert.ReportsOnly(observation, "pattern", "Observation.code");
    }

    [Fact]
    public void Pattern_NestedInBackbone_ReportsPattern()
    {
        var provenance = Provenance();
        provenance.Agent[0].Type = new CodeableConcept("http://terminology.hl7.org/CodeSystem/provenance-participant-type", "author");

        ViolationAssert.ReportsOnly(provenance, "pattern", "Provenance.agent.type");
    }

    [Fact]
    public void Pattern_NestedInBackboneMatching_Conforms()
    {
        var provenance = Provenance();
        provenance.Agent[0].Type = new CodeableConcept("http://terminology.hl7.org/CodeSystem/provenance-participant-type", "assembler", "Assembler");

        ViolationAssert.Conforms(provenance);
    }
}
