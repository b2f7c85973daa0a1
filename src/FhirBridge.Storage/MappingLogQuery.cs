namespace FhirBridge.Storage;

/// <summary>
/// Filters and a page of the stored mapping log, for the admin surface and <c>fhirbridge log</c>. Every filter is
/// optional; given ones must all hold.
/// </summary>
public sealed record MappingLogQuery
{
    /// <summary>The source name (exact).</summary>
    public string? Source { get; init; }

    /// <summary>The resource type of the entry's subject (<c>Procedure</c>), exact.</summary>
    public string? ResourceType { get; init; }

    /// <summary>One of <c>MappingLog.Decision</c>, exact.</summary>
    public string? Decision { get; init; }

    /// <summary>The reason code (<c>not-in-theatre</c>) or category reached, exact.</summary>
    public string? Reason { get; init; }

    /// <summary>Part of one of the entry's codes (<c>system|code</c>), case-sensitive: <c>81.07</c> finds <c>...icd-9-cm|81.07</c>.</summary>
    public string? Code { get; init; }

    /// <summary>Entries recorded at or after this instant.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Entries recorded before this instant.</summary>
    public DateTimeOffset? To { get; init; }

    /// <summary>How many entries to skip (newest first). Default 0.</summary>
    public int Offset { get; init; }

    /// <summary>The most entries returned. Default 50.</summary>
    public int Limit { get; init; } = 50;
}
