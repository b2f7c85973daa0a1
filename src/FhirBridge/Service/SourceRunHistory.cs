using System.Collections.Concurrent;

namespace FhirBridge.Cli.Service;

/// <summary>
/// How many runs of each source failed in a row in this process, for readiness. The store keeps only each source's
/// last run, so the streak is counted here; after a restart it starts from that last run.
/// </summary>
public sealed class SourceRunHistory
{
    private readonly ConcurrentDictionary<string, int> _failuresInARow = new(StringComparer.Ordinal);

    /// <summary>Records the end of a run of <paramref name="source"/>.</summary>
    public void Record(string source, bool failed) =>
        _failuresInARow.AddOrUpdate(source, failed ? 1 : 0, (_, n) => failed ? n + 1 : 0);

    /// <summary>The failures in a row of <paramref name="source"/> seen by this process; null before its first run here.</summary>
    public int? FailuresInARow(string source) => _failuresInARow.TryGetValue(source, out var n) ? n : null;
}
