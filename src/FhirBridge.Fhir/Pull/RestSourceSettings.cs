namespace FhirBridge.Fhir.Pull;

/// <summary>What a <see cref="RestSource"/> searches, and how.</summary>
public sealed record RestSourceSettings
{
    /// <summary>
    /// The types pulled by default, in this order (referenced types first): Patient, Location, Organization, Encounter,
    /// Condition, ServiceRequest, Procedure, Observation.
    /// </summary>
    public static IReadOnlyList<string> DefaultResourceTypes { get; } =
        ["Patient", "Location", "Organization", "Encounter", "Condition", "ServiceRequest", "Procedure", "Observation"];

    /// <summary>The resource types searched, in order; empty means <see cref="DefaultResourceTypes"/>.</summary>
    public IReadOnlyList<string> ResourceTypes { get; init; } = DefaultResourceTypes;

    /// <summary>The page size asked for (<c>_count</c>). Default 200.</summary>
    public int PageSize { get; init; } = 200;

    /// <summary>
    /// How far before the watermark the next search starts (<c>_lastUpdated=ge{watermark - overlap}</c>): servers stamp
    /// <c>meta.lastUpdated</c> before a write is visible, and <c>_lastUpdated</c> compares as a range, so a resource
    /// written in the same second as the last one seen could be missed without it. Default 2 seconds.
    /// </summary>
    public TimeSpan Overlap { get; init; } = TimeSpan.FromSeconds(2);
}
