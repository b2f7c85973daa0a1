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
/// page is written (a 70k backfill with opaque ids ingests in 46 s with batches of 20,000, 68 s with batches of 500).
/// So a batch holds up to <see cref="MaxItems"/> items or <see cref="MaxJsonChars"/> characters of JSON, whichever
/// comes first: 20,000 resources of the synthetic hospital are about 14 million characters. A kill loses at most one
/// batch of reading, which the next pull reads again (docs/benchmarks.md, "Opaque ids").
/// </remarks>
internal sealed class IngestBatcher(IStateStore store, string source, IProgress<int>? progress = null)
{
    /// <summary>The most items (resources and quarantined inputs) one batch holds.</summary>
    public const int MaxItems = 20_000;

    /// <summary>The most JSON characters one batch holds (16 Mi characters, 32 MB as .NET strings).</summary>
    public const int MaxJsonChars = 16 << 20;

    private readonly List<StoredResource> _resources = [];
    private readonly List<QuarantineItem> _quarantined = [];
    private readonly SortedDictionary<string, int> _byType = new(StringComparer.Ordinal);
    private int _stored;
    private int _quarantinedTotal;
    private long _jsonChars;

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
            await FlushAsync(null, null, cancellationToken);
        }
    }

    /// <summary>Stores what is held, with the progress marks that everything added so far completes.</summary>
    public async Task FlushAsync(IReadOnlyDictionary<string, string>? watermarks, IReadOnlyDictionary<string, string>? files, CancellationToken cancellationToken)
    {
        if (_resources.Count == 0 && _quarantined.Count == 0 && watermarks is null && files is null)
        {
            return;
        }

        var outcome = await store.IngestAsync(source, new IngestBatch
        {
            Resources = [.. _resources],
            Quarantined = [.. _quarantined],
            Watermarks = watermarks ?? new Dictionary<string, string>(),
            Files = files ?? new Dictionary<string, string>(),
        }, cancellationToken);
        _stored += outcome.Stored;
        _resources.Clear();
        _quarantined.Clear();
        _jsonChars = 0;
        progress?.Report(_byType.Values.Sum() + _quarantinedTotal);
    }

    public PullSummary Summary() => new(new Dictionary<string, int>(_byType, StringComparer.Ordinal), _quarantinedTotal, _stored);
}
