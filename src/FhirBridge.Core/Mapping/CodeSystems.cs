namespace FhirBridge.Mapping;

/// <summary>
/// The code systems FhirBridge knows by name, and the URIs a hospital declares as their aliases
/// (spec, "Data handling: Codes are normalised": a hospital may declare other system URIs as aliases of ICD-9-CM or ICD-10).
/// </summary>
public sealed class CodeSystems
{
    /// <summary>ICD-9-CM (procedures in Volume 3, diagnoses in Volumes 1-2).</summary>
    public const string Icd9Cm = "http://hl7.org/fhir/sid/icd-9-cm";

    /// <summary>ICD-10 (WHO, and national editions built on it).</summary>
    public const string Icd10 = "http://hl7.org/fhir/sid/icd-10";

    /// <summary>SNOMED CT.</summary>
    public const string Snomed = "http://snomed.info/sct";

    /// <summary>
    /// URIs that mean ICD-9-CM or ICD-10 without any setting: their OIDs, and ICD-10-CM, whose 3- and 4-character
    /// categories are those of ICD-10 (so prefix matching on them is sound).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> BuiltInAliases = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["urn:oid:2.16.840.1.113883.6.103"] = Icd9Cm,
        ["urn:oid:2.16.840.1.113883.6.104"] = Icd9Cm,
        ["urn:oid:2.16.840.1.113883.6.3"] = Icd10,
        ["http://hl7.org/fhir/sid/icd-10-cm"] = Icd10,
        ["urn:oid:2.16.840.1.113883.6.90"] = Icd10,
    };

    private readonly Dictionary<string, string> _aliases;

    /// <summary>Creates the system table with the built-in aliases plus a hospital's own.</summary>
    /// <param name="icd9CmAliases">URIs the hospital sends ICD-9-CM codes under.</param>
    /// <param name="icd10Aliases">URIs the hospital sends ICD-10 codes under.</param>
    public CodeSystems(IEnumerable<string>? icd9CmAliases = null, IEnumerable<string>? icd10Aliases = null)
    {
        _aliases = new Dictionary<string, string>(BuiltInAliases, StringComparer.Ordinal);
        foreach (var uri in icd9CmAliases ?? [])
        {
            _aliases[uri.Trim()] = Icd9Cm;
        }

        foreach (var uri in icd10Aliases ?? [])
        {
            _aliases[uri.Trim()] = Icd10;
        }
    }

    /// <summary>The system a URI stands for: the ICD system it is an alias of, else itself (trimmed).</summary>
    public string Canonical(string? system)
    {
        var s = system?.Trim() ?? string.Empty;
        return _aliases.TryGetValue(s, out var canonical) ? canonical : s;
    }

    /// <summary>True for the systems whose codes match on their longest mapped prefix.</summary>
    public static bool IsIcd(string canonicalSystem) => canonicalSystem is Icd9Cm or Icd10;
}
