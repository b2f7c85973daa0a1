using FhirBridge.Ingest;
using FhirBridge.Storage;

namespace FhirBridge.Fhir.Pull;

/// <summary>
/// Collects ingest results into store batches of a bounded size, so memory stays flat however large a pull is, and
/// counts what went by. Progress marks are attached to the batch that completes the data they cover.
/// </summary>
internal sealed class IngestBatcher(IStateStore store, string source, IProgress<int>? progress = null, int batchSize = 500)
{
    private readonly List<StoredResource> _resources = [];
    private readonly List<QuarantineItem> _quarantined = [];
    private readonly SortedDictionary<string, int> _byType = new(StringComparer.Ordinal);
    private int _stored;
    private int _quarantinedTotal;

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
            _byType[result.ResourceType!] = _byType.GetValueOrDefault(result.ResourceType!) + 1;
        }

        if (_resources.Count + _quarantined.Count >= batchSize)
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
        progress?.Report(_byType.Values.Sum() + _quarantinedTotal);
    }

    public PullSummary Summary() => new(new Dictionary<string, int>(_byType, StringComparer.Ordinal), _quarantinedTotal, _stored);
}
