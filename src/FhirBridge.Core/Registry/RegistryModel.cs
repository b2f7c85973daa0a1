namespace FhirBridge.Registry;

/// <summary>
/// The names of the registry model (docs/registry.md): identifier systems, the profiles in <c>profiles/</c>, the
/// extensions and the code systems in <c>mappings/</c>. One place, so the builder, the profiles and the tests agree.
/// </summary>
public static class RegistryModel
{
    private const string Sid = "http://fhirbridge.org/fhir/sid/";
    private const string StructureDefinition = "http://fhirbridge.org/fhir/StructureDefinition/";

    /// <summary>Identifier system of ClinicalTrials.gov numbers (the ResearchStudy).</summary>
    public const string StudySystem = "https://clinicaltrials.gov";

    /// <summary>Identifier system of pseudonymous Patients.</summary>
    public const string PatientSystem = Sid + "patient-pseudonym";

    /// <summary>Identifier system of ResearchSubjects.</summary>
    public const string SubjectSystem = Sid + "research-subject";

    /// <summary>Identifier system of registry Procedures.</summary>
    public const string ProcedureSystem = Sid + "procedure";

    /// <summary>Identifier system of AdverseEvents.</summary>
    public const string AdverseEventSystem = Sid + "adverse-event";

    /// <summary>Identifier system of registry Observations (outcomes and risk factors).</summary>
    public const string ObservationSystem = Sid + "observation";

    /// <summary>Identifier system of the hospital resources a record was made from (Provenance entities): pseudonyms, never the ids.</summary>
    public const string SourceResourceSystem = Sid + "source-resource";

    /// <summary>Extension: the ResearchSubject a record belongs to.</summary>
    public const string ResearchSubjectExtension = StructureDefinition + "research-subject";

    /// <summary>Extension (FHIR R4 core): the ResearchStudy an event belongs to.</summary>
    public const string ResearchStudyExtension = "http://hl7.org/fhir/StructureDefinition/workflow-researchStudy";

    /// <summary>Extension: where an operation took place (theatre or ward), as the rule judged it.</summary>
    public const string OperationSettingExtension = StructureDefinition + "operation-setting";

    /// <summary>Extension: the return Procedure of an AdverseEvent.</summary>
    public const string ReturnProcedureExtension = StructureDefinition + "return-procedure";

    /// <summary>Extension: the version of a source resource a Provenance entity names.</summary>
    public const string SourceVersionExtension = StructureDefinition + "source-version";

    /// <summary>Profile of the ResearchStudy.</summary>
    public const string ResearchStudyProfile = StructureDefinition + "registry-research-study";

    /// <summary>Profile of the pseudonymous Patient.</summary>
    public const string PatientProfile = StructureDefinition + "registry-patient";

    /// <summary>Profile of the ResearchSubject.</summary>
    public const string ResearchSubjectProfile = StructureDefinition + "registry-research-subject";

    /// <summary>Profile of the index and return Procedures.</summary>
    public const string ProcedureProfile = StructureDefinition + "registry-procedure";

    /// <summary>Profile of the AdverseEvent of a counted return.</summary>
    public const string AdverseEventProfile = StructureDefinition + "registry-adverse-event";

    /// <summary>Profile of the outcome Observation.</summary>
    public const string OutcomeObservationProfile = StructureDefinition + "registry-outcome-observation";

    /// <summary>Profile of a risk-factor Observation.</summary>
    public const string RiskFactorObservationProfile = StructureDefinition + "registry-risk-factor-observation";

    /// <summary>Profile of the Provenance of a change set.</summary>
    public const string ProvenanceProfile = StructureDefinition + "registry-provenance";

    /// <summary>Code system of outcome codes (mappings/CodeSystem-registry-outcome.json).</summary>
    public const string OutcomeSystem = "http://fhirbridge.org/fhir/CodeSystem/registry-outcome";

    /// <summary>The outcome Observation's code.</summary>
    public const string OutcomeCode = "unplanned-return-within-window";

    /// <summary>The AdverseEvent's event code.</summary>
    public const string ReturnEventCode = "unplanned-return-to-theatre";

    /// <summary>Code system of Provenance reasons (mappings/CodeSystem-change-reason.json).</summary>
    public const string ChangeReasonSystem = "http://fhirbridge.org/fhir/CodeSystem/change-reason";

    /// <summary>LOINC, the only system whose Observation codes the registry copies.</summary>
    public const string Loinc = "http://loinc.org";
}
