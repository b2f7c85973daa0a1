using FhirBridge.Cli.Telemetry;
using FhirBridge.Fhir.Pull;
using FhirBridge.Storage;
using Microsoft.Extensions.Logging;
using NodaTime;

namespace FhirBridge.Cli.Service;

/// <summary>
/// Runs one source through PULL, INGEST, MAP, DETECT and RECONCILE, in that order, and records the run. What a
/// scheduled job, a subscription notification and <c>run --once</c> all call.
/// </summary>
public sealed class SourceRunner(
    IStateStore store, PatientRecompute recompute, TimeProvider clock, ILogger<SourceRunner> logger, FhirBridgeMetrics metrics, SourceRunHistory history)
{
    /// <summary>What one run of a source did.</summary>
    public sealed record Result(string Source, PullSummary? Pulled, PatientRecompute.Summary? Recomputed, string? Error)
    {
        /// <summary>How long the pull took.</summary>
        public TimeSpan PullTime { get; init; }

        /// <summary>How long the recompute took.</summary>
        public TimeSpan RecomputeTime { get; init; }
    }

    /// <summary>Runs the source once, judging as of <paramref name="asOf"/> (default: now); <paramref name="progress"/> hears of recompute progress.</summary>
    public async Task<Result> RunAsync(SourceContext source, OffsetDateTime? asOf, CancellationToken cancellationToken, IProgress<string>? progress = null)
    {
        var at = clock.GetUtcNow();
        var judgedAt = asOf ?? Instant.FromDateTimeOffset(at).WithOffset(Offset.Zero);
        var stage = "pull";
        try
        {
            var started = clock.GetTimestamp();
            PullSummary pulled;
            using (var span = FhirBridgeTelemetry.Spans.StartActivity("fhirbridge.pull"))
            {
                span?.SetTag(FhirBridgeTelemetry.SourceTag, source.Name);
                pulled = await source.Pull.PullAsync(store, progress is null ? null : new Relay(n => progress.Report($"read {n} resources")), cancellationToken);
                span?.SetTag("fhirbridge.resources", pulled.ResourcesByType.Values.Sum());
            }

            metrics.Pulled(source.Name, pulled.ResourcesByType, pulled.Quarantined);
            var pullTime = clock.GetElapsedTime(started);
            logger.LogInformation("Pulled {Resources} resources ({Stored} new versions, {Quarantined} quarantined) from {Source}",
                pulled.ResourcesByType.Values.Sum(), pulled.Stored, pulled.Quarantined, source.Name);
            stage = "recompute";
            var recomputed = await recompute.RunAsync(source, judgedAt, progress is null ? null : new Relay(n => progress.Report($"recomputed {n} patients")), cancellationToken);
            var recomputeTime = clock.GetElapsedTime(started) - pullTime;
            logger.LogInformation("Recomputed {Patients} patients of {Source}: {ChangeSets} change sets", recomputed.Patients, source.Name, recomputed.ChangeSets);
            await store.RecordRunAsync(new SourceRun(source.Name, at, judgedAt.ToDateTimeOffset(), null), cancellationToken);
            history.Record(source.Name, failed: false);
            return new Result(source.Name, pulled, recomputed, null) { PullTime = pullTime, RecomputeTime = recomputeTime };
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            // A failing source must not stop the others; the message names the source and never carries patient data
            // (our own exceptions say what failed, not what the data was).
            logger.LogError("Run of source {Source} failed in {Stage}: {Error}", source.Name, stage, e.Message);
            metrics.Failed(stage, source.Name);
            history.Record(source.Name, failed: true);
            await store.RecordRunAsync(new SourceRun(source.Name, at, judgedAt.ToDateTimeOffset(), e.Message), CancellationToken.None);
            return new Result(source.Name, null, null, e.Message);
        }
    }

    private sealed class Relay(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
