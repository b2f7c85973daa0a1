namespace FhirBridge.TestServer.Export;

/// <summary>
/// A Bulk Data export: its data is cut when it is kicked off (a snapshot as of <see cref="TransactionTime"/>); polls
/// answer "in progress" a set number of times, then the manifest, which is fixed the first time it is served.
/// </summary>
internal sealed class ExportJob
{
    private int _polls;

    public required string Id { get; init; }

    /// <summary>The kick-off URL, as the manifest's <c>request</c>.</summary>
    public required string RequestUrl { get; init; }

    public required DateTimeOffset TransactionTime { get; init; }

    public required IReadOnlyList<ExportFile> Output { get; init; }

    public required bool RequiresAccessToken { get; init; }

    public required int PendingPolls { get; init; }

    public List<ExportFile> Errors { get; } = [];

    public Lock Sync { get; } = new();

    /// <summary>The manifest once served; later polls get the same bytes.</summary>
    public byte[]? Manifest { get; set; }

    /// <summary>Counts a poll; returns its 1-based number.</summary>
    public int Poll() => Interlocked.Increment(ref _polls);

    public ExportFile? File(string name) =>
        Output.FirstOrDefault(f => f.Name == name) ?? Errors.FirstOrDefault(f => f.Name == name);
}
