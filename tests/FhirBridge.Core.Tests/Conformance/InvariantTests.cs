using Hl7.Fhir.Model;
using static FhirBridge.Tests.Conformance.RegistryResources;

namespace FhirBridge.Tests.Conformance;

/// <summary>
/// Every invariant of profiles/, evaluated with the SDK's FHIRPath engine: for each key, an instance that breaks
/// it and nothing else, and one close to the line that keeps it.
/// </summary>
public class InvariantTests
{
    private static readonly Dictionary<string, InvariantCase> Cases = new()
    {
        ["fb-rst-1"] = new("ResearchStudy.identifier.value",
            () => With(ResearchStudy(), s => s.Identifier[0].Value = "NCT0599532"),
            () => With(ResearchStudy(), s => s.Identifier[0].Value = "NCT00000001")),
        ["fb-rst-2"] = new("ResearchStudy",
            () => With(ResearchStudy(), s => s.Arm.Add(new ResearchStudy.ArmComponent { Name = "tumor" })),
            () => With(ResearchStudy(), s => s.Arm.Add(new ResearchStudy.ArmComponent { Name = "tumour" }))),

        ["fb-pat-1"] = new("Patient",
            () => With(Patient(), p => p.BirthDate = "1970-05"),
            () => With(Patient(), p => p.BirthDate = null)),
        ["fb-pat-2"] = new("Patient",
            () => With(Patient(), p => p.Extension.Add(new Extension("http://hl7.org/fhir/StructureDefinition/patient-birthPlace", new Address { Country = "CN" }))),
            () => With(Patient(), p => p.Extension.Add(SubjectExtension(withReference: false)))),
        ["fb-pat-3"] = new("Patient.extension:researchSubject",
            () => With(Patient(), p => p.Extension[0] = SubjectExtension(withReference: true)),
            () => With(Patient(), p => p.Extension[0] = SubjectExtension(withReference: false))),
        ["fb-pat-4"] = new("Patient.identifier.value",
            () => With(Patient(), p => p.Identifier[0].Value = Pseudonym("patient").ToUpperInvariant()),
            () => With(Patient(), p => p.Identifier[0].Value = Pseudonym("another patient"))),

        ["fb-sub-1"] = new("ResearchSubject.identifier.value",
            () => With(ResearchSubject(), s => s.Identifier[0].Value = "S-0001"),
            () => With(ResearchSubject(), s => s.Identifier[0].Value = Pseudonym("another subject"))),
        ["fb-sub-2"] = new("ResearchSubject.period",
            () => With(ResearchSubject(), s => s.Period!.End = "2024-02-29"),
            () => With(ResearchSubject(), s => s.Period!.End = "2024-03-01")),

        ["fb-pro-1"] = new("Procedure",
            () => With(Procedure(), p => p.Category!.Coding.Add(new Coding("http://snomed.info/sct", "387713003"))),
            () => With(Procedure(), p => p.Category!.Coding.Add(new Coding(Category, "adjunct-procedure")))),
        ["fb-pro-2"] = new("Procedure",
            () => With(Procedure(), p => p.ReasonCode[0].Text = "L4/5 disc herniation, severe pain"),
            () => With(Procedure(), p => p.ReasonCode.Add(new CodeableConcept("http://hl7.org/fhir/sid/icd-10", "M48.0")))),
        ["fb-pro-3"] = new("Procedure.extension:researchSubject",
            () => With(Procedure(), p => p.Extension[0] = SubjectExtension(withReference: false)),
            () => With(Procedure(), p => p.Extension[0] = SubjectExtension(withReference: true))),
        ["fb-pro-4"] = new("Procedure.identifier.value",
            () => With(Procedure(), p => p.Identifier[0].Value = "OP-2024-0001"),
            () => With(Procedure(), p => p.Identifier[0].Value = Pseudonym("return"))),

        ["fb-ae-1"] = new("AdverseEvent.extension:researchSubject",
            () => With(AdverseEvent(), a => ValueReference(a.Extension[0]).Reference = "https://hospital.example/fhir/ResearchSubject/s1"),
            () => With(AdverseEvent(), a => ValueReference(a.Extension[0]).Reference = "ResearchSubject/s1")), // as the registry stores it
        ["fb-ae-2"] = new("AdverseEvent.identifier.value",
            () => With(AdverseEvent(), a => a.Identifier!.Value = Pseudonym("adverse-event")[..32]),
            () => With(AdverseEvent(), a => a.Identifier!.Value = Pseudonym("another adverse-event"))),

        ["fb-out-1"] = new("Observation",
            () => With(OutcomeObservation(), o => o.Status = ObservationStatus.Amended),
            () => With(OutcomeObservation(), o => o.Status = ObservationStatus.Corrected)),
        ["fb-out-2"] = new("Observation",
            () => With(OutcomeObservation(), o => o.Value = new CodeableConcept(Outcome, "follow-up-open")),
            () => With(OutcomeObservation(), o =>
            {
                o.Status = ObservationStatus.Preliminary;
                o.Value = new CodeableConcept(Outcome, "follow-up-open");
            })),
        ["fb-out-3"] = new("Observation.extension:researchSubject",
            () => With(OutcomeObservation(), o => o.Extension[0] = SubjectExtension(withReference: false)),
            () => With(OutcomeObservation(), o => o.Extension[0] = SubjectExtension(withReference: true))),
        ["fb-out-4"] = new("Observation.identifier.value",
            () => With(OutcomeObservation(), o => o.Identifier[0].Value = Pseudonym("outcome") + "0"),
            () => With(OutcomeObservation(), o => o.Identifier[0].Value = Pseudonym("outcome 2"))),
        ["fb-out-5"] = new("Observation.valueCodeableConcept",
            () => With(OutcomeObservation(), o => o.Value = new CodeableConcept(Outcome, "unplanned-return-to-theatre")),
            () => With(OutcomeObservation(), o => o.Value = new CodeableConcept(Outcome, "no-return"))),

        ["fb-rf-1"] = new("Observation",
            () => With(RiskFactorObservation(), o => o.Code = new CodeableConcept("http://snomed.info/sct", "60621009")),
            () => With(RiskFactorObservation(), o => o.Code = new CodeableConcept("http://snomed.info/sct", "60621009") { Coding = { new Coding("http://loinc.org", "39156-5") } })),
        ["fb-rf-2"] = new("Observation.extension:researchSubject",
            () => With(RiskFactorObservation(), o => o.Extension[0] = SubjectExtension(withReference: false)),
            () => With(RiskFactorObservation(), o => o.Extension[0] = SubjectExtension(withReference: true))),
        ["fb-rf-3"] = new("Observation.identifier.value",
            () => With(RiskFactorObservation(), o => o.Identifier[0].Value = "obs-1"),
            () => With(RiskFactorObservation(), o => o.Identifier[0].Value = Pseudonym("obs-1"))),

        ["fb-prv-1"] = new("Provenance",
            () => With(Provenance(), p => p.Activity = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-DataOperation", "DELETE")),
            () => With(Provenance(), p => p.Activity = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-DataOperation", "UPDATE"))),
        ["fb-prv-2"] = new("Provenance.extension:researchSubject",
            () => With(Provenance(), p => p.Extension[0] = SubjectExtension(withReference: false)),
            () => With(Provenance(), p => p.Extension[0] = SubjectExtension(withReference: true))),
        ["fb-prv-3"] = new("Provenance.entity.what.identifier.value",
            () => With(Provenance(), p => p.Entity[0].What!.Identifier!.Value = "Procedure/op1"),
            () => With(Provenance(), p => p.Entity[0].What!.Identifier!.Value = Pseudonym("Procedure/op2"))),
        ["fb-prv-4"] = new("Provenance",
            () => With(Provenance(), p => p.Entity.Clear()),
            () => With(Provenance(), p =>
            {
                p.Entity.Clear();
                p.Activity = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-DataOperation", "NULLIFY");
            })),

        ["fb-ops-1"] = new("Procedure.extension:operationSetting.value[x]",
            () => With(Procedure(), p => p.Extension[2] = OperationSetting("bedside")),
            () => With(Procedure(), p => p.Extension[2] = OperationSetting("ward"))),
        ["fb-ret-1"] = new("AdverseEvent.extension:returnProcedure.value[x].reference",
            () => With(AdverseEvent(), a => ValueReference(a.Extension[1]).Reference = "https://hospital.example/fhir/Procedure/op2"),
            () => With(AdverseEvent(), a => ValueReference(a.Extension[1]).Reference = "Procedure/op2")), // as the registry stores it
    };

    public static TheoryData<string> Keys() => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(Keys))]
    public void Invariant_BrokenByTheInstance_ReportsItsKeyAndNothingElse(string key)
    {
        var violation = ViolationAssert.ReportsOnly(Cases[key].Failing(), key, Cases[key].Path);

        Assert.StartsWith(key + " failed at ", violation.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Keys))]
    public void Invariant_KeptByTheInstance_Conforms(string key)
    {
        ViolationAssert.Conforms(Cases[key].Passing());
    }

    [Fact]
    public void Invariants_EveryErrorInvariantInProfiles_HasCases()
    {
        var keys = RegistryProfiles.Set.Definitions
            .SelectMany(d => d.Differential!.Element)
            .SelectMany(e => e.Constraint)
            .Where(c => c.Severity == ConstraintSeverity.Error)
            .Select(c => c.Key!)
            .Order(StringComparer.Ordinal);

        Assert.Equal(keys, Cases.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Invariant_PseudonymOnSecondPatientIdentifier_EvaluatedForEachInstance()
    {
        // A constraint on a non-root element holds for each of its instances, not just the first.
        var provenance = Provenance();
        provenance.Entity.Add(SourceEntity("Encounter/e1", null));
        provenance.Entity[1].What!.Identifier!.Value = "Encounter/e1";

        var violation = ViolationAssert.ReportsOnly(provenance, "fb-prv-3", "Provenance.entity.what.identifier.value");

        Assert.Contains("Provenance.entity[1]", violation.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Encounter/e1", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invariant_OutcomeRetracted_AnyValueKeepsTheStatusRule()
    {
        var observation = OutcomeObservation();
        observation.Status = ObservationStatus.EnteredInError;
        observation.Value = new CodeableConcept(Outcome, "follow-up-open");

        ViolationAssert.Conforms(observation);
    }

    [Fact]
    public void Invariant_OutcomePreliminaryButClosed_ReportsStatusRule()
    {
        var observation = OutcomeObservation();
        observation.Status = ObservationStatus.Preliminary;
        observation.Value = new CodeableConcept(Outcome, "no-return");

        ViolationAssert.ReportsOnly(observation, "fb-out-2", "Observation");
    }

    [Fact]
    public void Invariant_OutcomeWithTwoCodings_ReportsOneCodingRule()
    {
        var observation = OutcomeObservation();
        ((CodeableConcept)observation.Value!).Coding.Add(new Coding(Outcome, "no-return"));

        ViolationAssert.ReportsOnly(observation, "fb-out-5", "Observation.valueCodeableConcept");
    }

    private static ResourceReference ValueReference(Extension extension) => (ResourceReference)extension.Value!;

    private static T With<T>(T resource, Action<T> change)
        where T : Resource
    {
        change(resource);
        return resource;
    }

    private sealed record InvariantCase(string Path, Func<Resource> Failing, Func<Resource> Passing);
}
