namespace FhirBridge.Mapping;

/// <summary>Normalises codes before matching (spec, "Data handling: Codes are normalised").</summary>
public static class CodeNormalizer
{
    /// <summary>
    /// Trims the code; for ICD, upper-cases it and restores a missing dot: ICD-10 after the third character
    /// (<c>M480</c> -> <c>M48.0</c>), ICD-9-CM procedures after the second (<c>8107</c> -> <c>81.07</c>),
    /// ICD-9-CM diagnoses after the third (E codes after the fourth).
    /// </summary>
    public static string Normalize(string canonicalSystem, string code, CodeUse use)
    {
        var c = code.Trim();
        if (!CodeSystems.IsIcd(canonicalSystem))
        {
            return c;
        }

        c = c.ToUpperInvariant();
        if (c.Contains('.', StringComparison.Ordinal))
        {
            return c;
        }

        var dotAfter = canonicalSystem switch
        {
            CodeSystems.Icd9Cm when use == CodeUse.Procedure => 2,
            CodeSystems.Icd9Cm when c.StartsWith('E') => 4,
            _ => 3,
        };
        return c.Length > dotAfter ? string.Concat(c.AsSpan(0, dotAfter), ".", c.AsSpan(dotAfter)) : c;
    }
}
