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

            var results = file.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase)
                ? ReadNdjson(file, relative)
                : reader.ReadPath(file).Select(r => r with { Origin = relative + r.Origin[Path.GetFileName(file).Length..] });
            foreach (var result in results)
            {
                await batcher.AddAsync(result, cancellationToken);
            }

            // The file counts as read only in the batch that stores its last resources.
            await batcher.FlushAsync(null, new Dictionary<string, string> { [relative] = fingerprint }, cancellationToken);
        }

        return batcher.Summary();
    }

    /// <summary>
    /// What <see cref="FhirInputReader.ReadNdjson"/> gives for the file, in the same order with the same origins, but
    /// each chunk of lines parsed and validated on every core (the reader is the costliest part of a backfill). Memory
    /// stays bounded by the chunk.
    /// </summary>
    private static IEnumerable<IngestResult> ReadNdjson(string file, string origin)
    {
        const int chunkSize = 512;
        using var stream = new StreamReader(file);
        var number = 0;
        var lines = new List<(int Number, string Line)>(chunkSize);
        var results = new IReadOnlyList<IngestResult>[chunkSize];
        var more = true;
        while (more)
        {
            lines.Clear();
            while (lines.Count < chunkSize)
            {
                if (stream.ReadLine() is not { } line)
                {
                    more = false;
                    break;
                }

                number++;
                if (!string.IsNullOrWhiteSpace(line))
                {
                    lines.Add((number, line));
                }
            }

            Parallel.For(
                0,
                lines.Count,
                () => new FhirInputReader(),
                (i, _, reader) =>
                {
                    results[i] = [.. reader.ReadJson(lines[i].Line, string.Create(CultureInfo.InvariantCulture, $"{origin}:{lines[i].Number}"))];
                    return reader;
                },
                _ => { });
            for (var i = 0; i < lines.Count; i++)
            {
                foreach (var result in results[i])
                {
                    yield return result;
                }

                results[i] = [];
            }
        }
    }
}
