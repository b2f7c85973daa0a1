namespace FhirBridge.TestServer.Http;

/// <summary>What a request was recognised as.</summary>
internal sealed class RequestInfo
{
    public required FhirInteraction Interaction { get; init; }

    /// <summary>The request reached the foreign listener: no faults, no credentials asked.</summary>
    public required bool IsForeign { get; init; }

    /// <summary>The path and query exactly as sent (percent-encoded).</summary>
    public required string RawTarget { get; init; }

    public string? ResourceType { get; init; }

    public string? Id { get; init; }

    public string? VersionId { get; init; }

    /// <summary>The Bulk Data job, for status and file requests.</summary>
    public string? JobId { get; init; }

    /// <summary>The NDJSON file name, for file requests.</summary>
    public string? FileName { get; init; }

    /// <summary>Whether the request carries criteria (<c>PUT/DELETE Type?criteria</c>).</summary>
    public bool IsConditional { get; init; }

    /// <summary>A refusal decided from the URL alone (unknown type, wrong method).</summary>
    public FhirException? Error { get; init; }

    /// <summary>FHIR JSON content negotiation applies (not to tokens, discovery, Bulk Data status or files).</summary>
    public bool IsFhirJson => Interaction is not (FhirInteraction.Token or FhirInteraction.SmartConfiguration
        or FhirInteraction.ExportStatus or FhirInteraction.ExportCancel or FhirInteraction.ExportFile or FhirInteraction.Unknown);

    /// <summary>Credentials are needed (all but the CapabilityStatement, SMART discovery and the token endpoint).</summary>
    public bool RequiresAuth => Interaction is not (FhirInteraction.Capabilities or FhirInteraction.SmartConfiguration or FhirInteraction.Token);
}
