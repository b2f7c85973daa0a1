namespace FhirBridge.Fhir.Pull;

/// <summary>What a <see cref="BulkExportSource"/> exports, and how long it waits (https://hl7.org/fhir/uv/bulkdata/export.html).</summary>
public sealed record BulkExportSettings
{
    /// <summary>The types exported (<c>_type</c>); empty means <see cref="RestSourceSettings.DefaultResourceTypes"/>.</summary>
    public IReadOnlyList<string> ResourceTypes { get; init; } = RestSourceSettings.DefaultResourceTypes;

    /// <summary>A Group to export (<c>Group/{id}/$export</c>); default none, a system-level <c>$export</c>.</summary>
    public string? GroupId { get; init; }

    /// <summary>The wait between status polls when the server sends no <c>Retry-After</c>. Default 5 seconds.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest wait between two polls, whatever <c>Retry-After</c> asks. Default 2 minutes.</summary>
    public TimeSpan MaxPollInterval { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How long the export may take from kick-off to manifest before the pull gives up (and cancels it). Default 6 hours.</summary>
    public TimeSpan MaxWait { get; init; } = TimeSpan.FromHours(6);

    /// <summary>How long the download of one file may take. Default 1 hour.</summary>
    public TimeSpan DownloadTimeout { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Where files are spooled while they are read (deleted once read); default the system's temporary folder. They hold
    /// patient data: point this at the state folder's disk if the temporary folder is shared.
    /// </summary>
    public string? SpoolDirectory { get; init; }
}
