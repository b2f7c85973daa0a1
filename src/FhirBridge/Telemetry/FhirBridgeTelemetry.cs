using System.Diagnostics;

namespace FhirBridge.Cli.Telemetry;

/// <summary>
/// The names under which FhirBridge publishes its OpenTelemetry signals: one <see cref="System.Diagnostics.Metrics.Meter"/>
/// (<see cref="FhirBridgeMetrics"/>) and one <see cref="ActivitySource"/>, both called <see cref="Name"/>. Tags carry
/// source names, resource types, decisions, stages and outcomes only: never a patient, a resource id or a value.
/// </summary>
public static class FhirBridgeTelemetry
{
    /// <summary>The meter's and the activity source's name.</summary>
    public const string Name = "FhirBridge";

    /// <summary>The spans of the pipeline: <c>fhirbridge.pull</c>, <c>fhirbridge.recompute</c>, <c>fhirbridge.push</c>.</summary>
    public static ActivitySource Spans { get; } = new(Name);

    /// <summary>Tag: the configured source's name.</summary>
    public const string SourceTag = "fhirbridge.source";

    /// <summary>Tag: a FHIR resource type.</summary>
    public const string ResourceTypeTag = "fhirbridge.resource_type";

    /// <summary>Tag: a mapping-log decision (<see cref="MappingLog.Decision"/>).</summary>
    public const string DecisionTag = "fhirbridge.decision";

    /// <summary>Tag: a pipeline stage (<c>pull</c>, <c>recompute</c>, <c>push</c>).</summary>
    public const string StageTag = "fhirbridge.stage";

    /// <summary>Tag: how a push attempt ended (<c>sent</c>, <c>dead</c>, <c>retry</c>).</summary>
    public const string OutcomeTag = "fhirbridge.outcome";

    /// <summary>Tag: an outbox state (<see cref="Storage.OutboxState"/>).</summary>
    public const string StateTag = "fhirbridge.outbox.state";
}
