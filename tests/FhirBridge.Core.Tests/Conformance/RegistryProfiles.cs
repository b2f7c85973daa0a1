using FhirBridge.Conformance;
using Hl7.Fhir.Model;

namespace FhirBridge.Tests.Conformance;

/// <summary>The shipped <c>profiles/</c>, loaded once, and the canonicals of the registry model contract.</summary>
internal static class RegistryProfiles
{
    public const string Base = "http://fhirbridge.org/fhir/StructureDefinition/";

    public const string ResearchStudy = Base + "registry-research-study";
    public const string Patient = Base + "registry-patient";
    public const string ResearchSubject = Base + "registry-research-subject";
    public const string Procedure = Base + "registry-procedure";
    public const string AdverseEvent = Base + "registry-adverse-event";
    public const string OutcomeObservation = Base + "registry-outcome-observation";
    public const string RiskFactorObservation = Base + "registry-risk-factor-observation";
    public const string Provenance = Base + "registry-provenance";

    public const string ResearchSubjectExtension = Base + "research-subject";
    public const string OperationSettingExtension = Base + "operation-setting";
    public const string ReturnProcedureExtension = Base + "return-procedure";
    public const string SourceVersionExtension = Base + "source-version";

    /// <summary>The core R4 extension for the study; not defined in profiles/.</summary>
    public const string ResearchStudyExtension = "http://hl7.org/fhir/StructureDefinition/workflow-researchStudy";

    public static string Directory { get; } = Path.Combine(RepositoryPaths.Root, "profiles");

    public static ProfileSet Set { get; } = ProfileSet.Load(Directory);

    public static ProfileValidator Validator { get; } = new(Set);

    public static IReadOnlyList<ProfileViolation> Validate(Resource resource) => Validator.Validate(resource);
}
