using System.Diagnostics.Metrics;
using FhirBridge.Storage;

namespace FhirBridge.Cli.Telemetry;

/// <summary>
/// FhirBridge's metrics, on the meter <see cref="FhirBridgeTelemetry.Name"/> made by the host's
/// <see cref="IMeterFactory"/> (so each host, and each test, has its own): resources pulled, mapping-log decisions,
/// outbox depth, push latency and errors by stage.
/// </summary>
public sealed class FhirBridgeMetrics
{
    private readonly Counter<long> _pulled;
    private readonly Counter<long> _decisions;
    private readonly Histogram<double> _pushDuration;
    private readonly Counter<long> _errors;

    /// <summary>Creates the instruments; the outbox gauge reads <paramref name="store"/> when it is collected.</summary>
    public FhirBridgeMetrics(IMeterFactory meters, IStateStore store)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(FhirBridgeTelemetry.Name);
        _pulled = meter.CreateCounter<long>("fhirbridge.resources.pulled", "{resource}", "Resources read from a source, by source and resource type.");
        _decisions = meter.CreateCounter<long>("fhirbridge.decisions", "{decision}", "Mapping-log decisions made while recomputing patients, by source and decision.");
        _pushDuration = meter.CreateHistogram<double>("fhirbridge.push.duration", "s", "How long one attempt to hand a change set to the registry took, by outcome.");
        _errors = meter.CreateCounter<long>("fhirbridge.errors", "{error}", "Failures by pipeline stage (pull, recompute, push).");
        meter.CreateObservableGauge("fhirbridge.outbox.depth", () => OutboxDepth(store), "{change_set}", "Change sets in the outbox, by state.");
    }

    /// <summary>Counts resources read from <paramref name="source"/>, by type, and the inputs quarantined (a decision of the mapping log).</summary>
    public void Pulled(string source, IReadOnlyDictionary<string, int> byType, int quarantined)
    {
        ArgumentNullException.ThrowIfNull(byType);
        if (quarantined > 0)
        {
            _decisions.Add(quarantined, new(FhirBridgeTelemetry.SourceTag, source), new(FhirBridgeTelemetry.DecisionTag, MappingLog.Decision.Quarantined));
        }

        foreach (var (type, count) in byType)
        {
            _pulled.Add(count, new(FhirBridgeTelemetry.SourceTag, source), new(FhirBridgeTelemetry.ResourceTypeTag, type));
        }
    }

    /// <summary>Counts one decision of the mapping log.</summary>
    public void Decided(string source, string decision) =>
        _decisions.Add(1, new(FhirBridgeTelemetry.SourceTag, source), new(FhirBridgeTelemetry.DecisionTag, decision));

    /// <summary>Records one push attempt's duration and how it ended (<c>sent</c>, <c>dead</c>, <c>retry</c>).</summary>
    public void Pushed(TimeSpan duration, string outcome) =>
        _pushDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>(FhirBridgeTelemetry.OutcomeTag, outcome));

    /// <summary>Counts a failure of <paramref name="stage"/> (<c>pull</c>, <c>recompute</c>, <c>push</c>).</summary>
    public void Failed(string stage, string source) =>
        _errors.Add(1, new(FhirBridgeTelemetry.StageTag, stage), new(FhirBridgeTelemetry.SourceTag, source));

    private static IEnumerable<Measurement<int>> OutboxDepth(IStateStore store)
    {
        IReadOnlyDictionary<string, int> counts;
        try
        {
            // The gauge callback is synchronous; the count is one indexed GROUP BY on the local state file, read only
            // when the exporter collects (every export interval), so blocking here is cheap.
            counts = store.GetOutboxCountsAsync(CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A store that cannot answer gives no measurement (readiness reports it); the exporter must not fail.
            return [];
        }

        // Every state, zero included, so a drained outbox shows 0 instead of its last value.
        return [.. OutboxState.All.Select(s => new Measurement<int>(counts.GetValueOrDefault(s), new KeyValuePair<string, object?>(FhirBridgeTelemetry.StateTag, s)))];
    }
}
