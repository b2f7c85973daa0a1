using FhirBridge.Ingest;
using FhirBridge.Storage;

namespace FhirBridge.Fhir.Pull;

/// <summary>
/// Collects ingest results into store batches of a bounded size, so memory stays flat however large a pull is, and
/// counts what went by. Progress marks are attached to the batch that completes the data they cover.
/// </summary>
/// <remarks>
/// A batch is one transaction. Each one rewrites every index page its rows land on, and with opaque hospital ids the
/// rows of a batch land all over the indexes on resource and patient ids: the fewer the batches, the fewer times a
/// page is written. So a batch holds up to <see cref="MaxItems"/> items or <see cref="MaxJsonChars"/> characters of
/// JSON, whichever comes first (10,000 resources of the synthetic hospital are about 7 million characters). A full
/// batch is stored while the source goes on reading into the next one, one batch in flight at a time, so batches
/// commit in order; at most two batches are in memory. A flush with progress marks waits until everything before it
/// is stored. A kill loses at most the batches not yet stored, which the next pull reads again, since the marks that
/// would skip them are stored with the last of them (docs/benchmarks.md, "Opaque ids").
/// </remarks>
internal sealed class IngestBatcher(IStateStore store, string source, IProgress<int>? progress = null) : IAsyncDisposable
{
    /// <summary>The most items (resources and quarantined inputs) one batch holds.</summary>
    public const int MaxItems = 10_000;

    /// <summary>The most JSON characters one batch holds (8 Mi characters, 16 MB as .NET strings).</summary>
    public const int MaxJsonChars = 8 << 20;

    private readonly List<StoredResource> _resources = [];
    private readonly List<QuarantineItem> _quarantined = [];
    private readonly SortedDictionary<string, int> _byType = new(StringComparer.Ordinal);
    private int _stored;
    private int _quarantinedTotal;
    private long _jsonChars;

    // The batch being stored, and the count of items read when it was closed (reported as progress once it is stored).
    private (Task<IngestOutcome> Task, int Reached)? _storing;

    public async Task AddAsync(IngestResult result, CancellationToken cancellationToken)
    {
        if (result.IsQuarantined)
        {
            _quarantined.Add(new QuarantineItem(result.Origin, result.ResourceType, result.QuarantineReason!) { Fingerprint = result.Fingerprint });
            _quarantinedTotal++;
        }
        else
        {
            _resources.Add(new StoredResource(result.ResourceType!, result.Id!, result.VersionId, result.LastUpdated, result.Patient, result.Json!));
            _jsonChars += result.Json!.Length;
            _byType[result.ResourceType!] = _byType.GetValueOrDefault(result.ResourceType!) + 1;
        }

        if (_resources.Count + _quarantined.Count >= MaxItems || _jsonChars >= MaxJsonChars)
        {
            await StartStoringAsync(null, null, cancellationToken);
        }
    }

    /// <summary>
    /// Stores what is held, with the progress marks that everything added so far completes, and returns once it and
    /// every batch before it are stored.
    /// </summary>
    public async Task FlushAsync(IReadOnlyDictionary<string, string>? watermarks, IReadOnlyDictionary<string, string>? files, CancellationToken cancellationToken)
    {
        if (_resources.Count > 0 || _quarantined.Count > 0 || watermarks is not null || files is not null)
        {
            await StartStoringAsync(watermarks, files, cancellationToken);
        }

        await FinishStoringAsync();
    }

    public PullSummary Summary() => new(new Dictionary<string, int>(_byType, StringComparer.Ordinal), _quarantinedTotal, _stored);

    /// <summary>
    /// Waits for a batch still being stored when the pull stopped early (a failure or a cancellation). Its own failure
    /// is not reported over the pull's: the batch is not marked read, and the next pull reads it again.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (_storing is { } storing)
        {
            _storing = null;
            await storing.Task.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    // Closes the batch held and starts storing it once the batch before it is stored.
    private async Task StartStoringAsync(IReadOnlyDictionary<string, string>? watermarks, IReadOnlyDictionary<string, string>? files, CancellationToken cancellationToken)
    {
        await FinishStoringAsync();
        var batch = new IngestBatch
        {
            Resources = [.. _resources],
            Quarantined = [.. _quarantined],
            Watermarks = watermarks ?? new Dictionary<string, string>(),
            Files = files ?? new Dictionary<string, string>(),
        };
        _resources.Clear();
        _quarantined.Clear();
        _jsonChars = 0;

        // Microsoft.Data.Sqlite runs "async" calls synchronously: the store gets a thread of its own, and reading goes on.
        _storing = (Task.Run(() => store.IngestAsync(source, batch, cancellationToken), CancellationToken.None), _byType.Values.Sum() + _quarantinedTotal);
    }

    private async Task FinishStoringAsync()
    {
        if (_storing is { } storing)
        {
            _storing = null;
            _stored += (await storing.Task).Stored;
            progress?.Report(storing.Reached);
        }
    }
}
