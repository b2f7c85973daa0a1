namespace FhirBridge.Timeline;

/// <summary>A resource's logical identity at its source: <c>Type/id</c>, the form the report and the mapping log use.</summary>
public readonly record struct ResourceKey(string Type, string Id)
{
    /// <summary>Parses a FHIR reference (<c>Type/id</c>, an absolute URL ending in <c>Type/id</c>, optionally with <c>/_history/v</c>).</summary>
    /// <returns>The key, or null when the reference names no resource we can look up (contained <c>#id</c>, identifier-only, urn:uuid).</returns>
    public static ResourceKey? Parse(string? reference)
    {
        if (string.IsNullOrWhiteSpace(reference) || reference.StartsWith('#') || reference.StartsWith("urn:", StringComparison.Ordinal))
        {
            return null;
        }

        var parts = reference.Trim().Split('/', StringSplitOptions.RemoveEmptyEntries);
        var n = parts.Length;
        if (n >= 4 && parts[n - 2] == "_history")
        {
            n -= 2;
        }

        if (n < 2 || parts[n - 2].Length == 0 || !char.IsUpper(parts[n - 2][0]))
        {
            return null;
        }

        return new ResourceKey(parts[n - 2], parts[n - 1]);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Type}/{Id}";
}
