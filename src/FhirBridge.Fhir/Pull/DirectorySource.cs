using System.Globalization;
using FhirBridge.Ingest;
using FhirBridge.Storage;

namespace FhirBridge.Fhir.Pull;

/// <summary>
/// A folder of NDJSON and Bundle files (the embedded default, and hospitals that drop exports on disk). A file
/// already ingested is not read again unless its size or modification time changed.
/// </summary>
public sealed class DirectorySource(string name, string path) : IPullSource
{
    /// <inheritdoc />
    public string Name => name;

    /// <inheritdoc />
    public async Task<PullSummary> PullAsync(IStateStore store, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(path))
        {
            throw new DirectoryNotFoundException($"source {name}: folder not found: {path}");
        }

        var reader = new FhirInputReader();
        var batcher = new IngestBatcher(store, name, progress);
        var files = Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
            .Where(FhirInputReader.IsFhirFile)
            .Order(StringComparer.Ordinal);
        foreach (var file in files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var relative = Path.GetRelativePath(path, file).Replace('\\', '/');
            var info = new FileInfo(file);
            var fingerprint = string.Create(CultureInfo.InvariantCulture, $"{info.Length}:{info.LastWriteTimeUtc.Ticks}");
            if (await store.GetFileFingerprintAsync(name, relative, cancellationToken) == fingerprint)
            {
                continue;
            }

            foreach (var result in reader.ReadPath(file).Select(r => r with { Origin = relative + r.Origin[Path.GetFileName(file).Length..] }))
            {
                await batcher.AddAsync(result, cancellationToken);
            }

            // The file counts as read only in the batch that stores its last resources.
            await batcher.FlushAsync(null, new Dictionary<string, string> { [relative] = fingerprint }, cancellationToken);
        }

        return batcher.Summary();
    }
}
