namespace FhirBridge.Mapping;

/// <summary>The category codes of the spec ("Mappings"), system <see cref="System"/>. Source codes reach them through ConceptMaps.</summary>
public static class Category
{
    /// <summary>The category code system.</summary>
    public const string System = "http://fhirbridge.org/fhir/CodeSystem/category";

#pragma warning disable CS1591 // The codes are documented in the spec's category table and in mappings/CodeSystem-fhirbridge-category.json.
    public const string SpineSurgery = "spine-surgery";
    public const string TheatreProcedure = "theatre-procedure";
    public const string BedsideProcedure = "bedside-procedure";
    public const string AdjunctProcedure = "adjunct-procedure";
    public const string StagedProcedure = "staged-procedure";
    public const string Theatre = "theatre";
    public const string Ward = "ward";
    public const string Orthopedics = "orthopedics";
    public const string CohortDegenerative = "cohort-degenerative";
    public const string CohortDeformity = "cohort-deformity";
    public const string CohortTumor = "cohort-tumor";
    public const string CohortFracture = "cohort-fracture";
    public const string ProcedureComplication = "procedure-complication";
    public const string UnrelatedCondition = "unrelated-condition";
    public const string RiskFactor = "risk-factor";
#pragma warning restore CS1591

    /// <summary>Every category code; a mapping to anything else is an invalid mapping file.</summary>
    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
    {
        SpineSurgery, TheatreProcedure, BedsideProcedure, AdjunctProcedure, StagedProcedure, Theatre, Ward, Orthopedics,
        CohortDegenerative, CohortDeformity, CohortTumor, CohortFracture, ProcedureComplication, UnrelatedCondition, RiskFactor,
    };
}
