namespace FhirBridge.Cli.Web.Admin;

/// <summary>One source in the overview.</summary>
/// <param name="Name">The source's name.</param>
/// <param name="Kind">Rest, BulkExport or Directory (empty when no longer configured).</param>
/// <param name="LastPull">When its last run ended, or null if it never ran.</param>
/// <param name="Lag">How long ago that was.</param>
/// <param name="LastError">The last run's error, or null when it succeeded.</param>
/// <param name="Watermarks">Its watermarks, <c>key=value</c>.</param>
/// <param name="Subscription">Its subscription status.</param>
/// <param name="Subjects">Its registry subjects.</param>
public sealed record SourceStatus(
    string Name,
    string Kind,
    DateTimeOffset? LastPull,
    TimeSpan? Lag,
    string? LastError,
    IReadOnlyList<string> Watermarks,
    string Subscription,
    int Subjects);
