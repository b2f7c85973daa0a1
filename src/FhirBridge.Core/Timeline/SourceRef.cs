namespace FhirBridge.Timeline;

/// <summary>One version of a source resource: what the mapping log cites (<c>Type/id/_history/version</c>).</summary>
/// <param name="Key">The resource's identity.</param>
/// <param name="VersionId">Its <c>meta.versionId</c>, when the source sent one.</param>
/// <param name="LastUpdated">Its <c>meta.lastUpdated</c>, when the source sent one.</param>
public sealed record SourceRef(ResourceKey Key, string? VersionId, DateTimeOffset? LastUpdated)
{
    /// <summary>True when this is a later version than <paramref name="other"/>: higher <c>versionId</c>, then later <c>lastUpdated</c> (spec, "Data handling: Versions").</summary>
    public bool IsNewerThan(SourceRef other)
    {
        var byVersion = CompareVersionIds(VersionId, other.VersionId);
        if (byVersion != 0)
        {
            return byVersion > 0;
        }

        return (LastUpdated ?? DateTimeOffset.MinValue) > (other.LastUpdated ?? DateTimeOffset.MinValue);
    }

    private static int CompareVersionIds(string? a, string? b)
    {
        if (a == b)
        {
            return 0;
        }

        if (a is null)
        {
            return -1;
        }

        if (b is null)
        {
            return 1;
        }

        // Servers number versions 1, 2, ... 10: compare numerically when both are numbers.
        if (long.TryParse(a, out var na) && long.TryParse(b, out var nb))
        {
            return na.CompareTo(nb);
        }

        return string.CompareOrdinal(a, b);
    }

    /// <inheritdoc />
    public override string ToString() => VersionId is null ? Key.ToString() : $"{Key}/_history/{VersionId}";
}
