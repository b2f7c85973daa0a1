namespace FhirBridge.Storage;

/// <summary>The last run of a source: when, the as-of time it judged at, and its error if it failed.</summary>
public sealed record SourceRun(string Source, DateTimeOffset At, DateTimeOffset AsOf, string? Error);
