using FhirBridge.Storage;

namespace FhirBridge.Fhir.Pull;

/// <summary>
/// The PULL stage for one source: reads what changed since the last pull and hands it to the store in batches,
/// advancing its progress marks (watermarks, file fingerprints) only together with the data they cover, so a crash
/// repeats work but never skips it.
/// </summary>
public interface IPullSource
{
    /// <summary>The source's name.</summary>
    string Name { get; }

    /// <summary>Pulls and stores; returns what was read.</summary>
    /// <param name="store">Where what is read goes.</param>
    /// <param name="progress">Told how many resources were read so far, after each stored batch (a long backfill shows progress).</param>
    /// <param name="cancellationToken">Stops the pull; what was stored stays, the progress marks cover only it.</param>
    Task<PullSummary> PullAsync(IStateStore store, IProgress<int>? progress, CancellationToken cancellationToken);
}

/// <summary>What a pull read: resources by type, quarantined inputs, and how many were new versions.</summary>
public sealed record PullSummary(IReadOnlyDictionary<string, int> ResourcesByType, int Quarantined, int Stored);
