using System.Globalization;
using System.Runtime.CompilerServices;
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
        await using var batcher = new IngestBatcher(store, name, progress);
        foreach (var file in FhirInputReader.FhirFilesUnder(path))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var relative = Path.GetRelativePath(path, file).Replace('\\', '/');
            var info = new FileInfo(file);
            var fingerprint = string.Create(CultureInfo.InvariantCulture, $"{info.Length}:{info.LastWriteTimeUtc.Ticks}");
            if (await store.GetFileFingerprintAsync(name, relative, cancellationToken) == fingerprint)
            {
                continue;
            }

            if (file.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase))
            {
                await foreach (var result in ReadNdjsonAsync(file, relative, cancellationToken))
                {
                    await batcher.AddAsync(result, cancellationToken);
                }
            }
            else
            {
                foreach (var result in reader.ReadPath(file).Select(r => r with { Origin = relative + r.Origin[Path.GetFileName(file).Length..] }))
                {
                    await batcher.AddAsync(result, cancellationToken);
                }
            }

            // The file counts as read only in the batch that stores its last resources.
            await batcher.FlushAsync(null, new Dictionary<string, string> { [relative] = fingerprint }, cancellationToken);
        }

        return batcher.Summary();
    }

    /// <summary>
    /// What <see cref="FhirInputReader.ReadNdjson"/> gives for the file, in the same order with the same origins, but
    /// each chunk of lines parsed and validated on every core (the reader is the costliest part of a backfill), and the
    /// next chunk read and parsed while the caller stores this one. Memory stays bounded by two chunks.
    /// </summary>
    internal static async IAsyncEnumerable<IngestResult> ReadNdjsonAsync(string file, string origin, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var chunks = new NdjsonChunks(file, origin);
        var pending = Task.Run(chunks.Next, cancellationToken);
        try
        {
            while (true)
            {
                var results = await pending;
                var more = !chunks.AtEnd;
                if (more)
                {
                    pending = Task.Run(chunks.Next, cancellationToken);
                }

                foreach (var result in results)
                {
                    yield return result;
                }

                if (!more)
                {
                    break;
                }
            }
        }
        finally
        {
            // The file stays open until no chunk is being read from it, however the caller stopped.
            await pending.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    /// <summary>Reads an NDJSON file 512 lines at a time, one chunk after the other (never two at once).</summary>
    private sealed class NdjsonChunks(string file, string origin) : IDisposable
    {
        private const int ChunkSize = 512;
        private readonly StreamReader _stream = new(file);
        private readonly List<(int Number, string Line)> _lines = new(ChunkSize);
        private readonly IReadOnlyList<IngestResult>[] _results = new IReadOnlyList<IngestResult>[ChunkSize];
        private int _number;

        /// <summary>True once the last line has been read.</summary>
        public bool AtEnd { get; private set; }

        /// <summary>Reads and parses the next chunk; its results in line order.</summary>
        public List<IngestResult> Next()
        {
            _lines.Clear();
            while (_lines.Count < ChunkSize)
            {
                if (_stream.ReadLine() is not { } line)
                {
                    AtEnd = true;
                    break;
                }

                _number++;
                if (!string.IsNullOrWhiteSpace(line))
                {
                    _lines.Add((_number, line));
                }
            }

            Parallel.For(
                0,
                _lines.Count,
                () => new FhirInputReader(),
                (i, _, reader) =>
                {
                    _results[i] = [.. reader.ReadJson(_lines[i].Line, string.Create(CultureInfo.InvariantCulture, $"{origin}:{_lines[i].Number}"))];
                    return reader;
                },
                _ => { });
            var results = new List<IngestResult>(_lines.Count);
            for (var i = 0; i < _lines.Count; i++)
            {
                results.AddRange(_results[i]);
                _results[i] = [];
            }

            return results;
        }

        public void Dispose() => _stream.Dispose();
    }
}
