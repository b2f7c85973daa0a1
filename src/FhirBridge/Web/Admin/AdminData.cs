using FhirBridge.Cli.Configuration;
using FhirBridge.Reporting;
using FhirBridge.Storage;

namespace FhirBridge.Cli.Web.Admin;

/// <summary>What the admin pages, the admin API and the CLI equivalents (<c>status</c>, <c>log</c>, <c>unmapped</c>, <c>report --chart</c>) show, read from the state store.</summary>
public sealed class AdminData(IStateStore store, FhirBridgeOptions options, ISubscriptionStatusProvider subscriptions, TimeProvider clock)
{
    /// <summary>Example resources kept per unmapped code.</summary>
    public const int UnmappedExamples = 3;

    /// <summary>The store read.</summary>
    public IStateStore Store => store;

    /// <summary>The overview.</summary>
    public async Task<AdminStatus> StatusAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var runs = (await store.GetRunsAsync(cancellationToken)).ToDictionary(r => r.Source, StringComparer.Ordinal);
        var watermarks = (await store.GetWatermarksAsync(cancellationToken)).ToLookup(w => w.SourceName, StringComparer.Ordinal);
        var subjects = await store.GetSubjectsAsync(cancellationToken);
        var outbox = await store.GetOutboxCountsAsync(cancellationToken);
        var dead = await store.CountDeadLettersToReplayAsync(cancellationToken);
        var kinds = options.Sources.ToDictionary(s => s.Name, s => s.Kind.ToString(), StringComparer.Ordinal);
        var names = options.Sources.Select(s => s.Name).Concat(runs.Keys.Where(k => !kinds.ContainsKey(k)).Order(StringComparer.Ordinal));
        var sources = new List<SourceStatus>();
        foreach (var name in names)
        {
            var run = runs.GetValueOrDefault(name);
            sources.Add(new SourceStatus(
                name,
                kinds.GetValueOrDefault(name, ""),
                run?.At,
                run is null ? null : now - run.At,
                run?.Error,
                [.. watermarks[name].Select(w => $"{w.Key}={w.Value}")],
                await subscriptions.GetStatusAsync(name, cancellationToken),
                subjects.Count(s => s.SourceName == name)));
        }

        var outcomes = subjects.GroupBy(s => s.Outcome ?? "unknown", StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        return new AdminStatus(now, sources, outbox, dead, outcomes);
    }

    /// <summary>The quality chart's numbers, from the subjects the registry holds.</summary>
    public async Task<QualityChartData> ChartAsync(CancellationToken cancellationToken) =>
        QualityChart.Compute((await store.GetSubjectsAsync(cancellationToken)).Select(s => new QualitySubject(s.Cohort, s.IndexStart, s.Outcome)));

    /// <summary>The unmapped codes.</summary>
    public Task<IReadOnlyList<UnmappedCode>> UnmappedAsync(CancellationToken cancellationToken) =>
        store.GetUnmappedCodesAsync(UnmappedExamples, cancellationToken);
}
