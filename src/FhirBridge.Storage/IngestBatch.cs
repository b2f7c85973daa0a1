namespace FhirBridge.Storage;

/// <summary>
/// What one pull step hands to the store in one transaction: resources, quarantined inputs, and the progress marks
/// (watermarks, file fingerprints) that may advance only once everything up to them is stored.
/// </summary>
public sealed record IngestBatch
{
    /// <summary>The resources received.</summary>
    public IReadOnlyList<StoredResource> Resources { get; init; } = [];

    /// <summary>The inputs quarantined.</summary>
    public IReadOnlyList<QuarantineItem> Quarantined { get; init; } = [];

    /// <summary>Watermarks to set (key, e.g. a resource type, to value), atomically with the resources.</summary>
    public IReadOnlyDictionary<string, string> Watermarks { get; init; } = new Dictionary<string, string>();

    /// <summary>Files fully read (path to fingerprint), atomically with the resources.</summary>
    public IReadOnlyDictionary<string, string> Files { get; init; } = new Dictionary<string, string>();
}
