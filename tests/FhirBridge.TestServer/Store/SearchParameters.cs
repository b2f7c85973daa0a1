namespace FhirBridge.TestServer.Store;

/// <summary>
/// The reference search parameters the server knows, per resource type, with the element each reads (from the FHIR R4
/// SearchParameter definitions). <c>patient</c> is also the patient compartment used by Group and Patient export.
/// </summary>
internal static class SearchParameters
{
    private static readonly ReferenceParameter[] SubjectAndPatient =
    [
        new("subject", ["subject"], null),
        new("patient", ["subject"], "Patient"),
    ];

    private static readonly Dictionary<string, ReferenceParameter[]> ByType = new(StringComparer.Ordinal)
    {
        ["Procedure"] = SubjectAndPatient,
        ["Encounter"] = SubjectAndPatient,
        ["Observation"] = SubjectAndPatient,
        ["Condition"] = SubjectAndPatient,
        ["ServiceRequest"] = SubjectAndPatient,
        ["ResearchSubject"] =
        [
            new("patient", ["individual"], "Patient"),
            new("individual", ["individual"], null),
            new("study", ["study"], null),
        ],
        ["Group"] = [new("member", ["member", "entity"], null)],
        ["Provenance"] = [new("target", ["target"], null), new("patient", ["target"], "Patient")],
    };

    /// <summary>The reference parameters of a type (none for types outside the table).</summary>
    public static IReadOnlyList<ReferenceParameter> For(string type) =>
        ByType.TryGetValue(type, out var parameters) ? parameters : [];

    /// <summary>Whether resources of <paramref name="type"/> can belong to a patient's compartment.</summary>
    public static bool HasPatientCompartment(string type) => For(type).Any(p => p.Name == "patient");
}

/// <summary>A reference search parameter: its name, the element path it reads, and the target type it keeps.</summary>
internal sealed record ReferenceParameter(string Name, string[] Path, string? TargetType);
