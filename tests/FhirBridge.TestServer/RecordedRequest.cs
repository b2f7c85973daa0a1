namespace FhirBridge.TestServer;

/// <summary>One request the server received, as <see cref="FhirTestServer.Requests"/> logs it (after it was answered).</summary>
public sealed class RecordedRequest
{
    /// <summary>When the request arrived, on the server's clock.</summary>
    public required DateTimeOffset Time { get; init; }

    /// <summary>The HTTP method.</summary>
    public required string Method { get; init; }

    /// <summary>The path and query as sent (still percent-encoded), such as <c>/fhir/Procedure?_count=10</c>.</summary>
    public required string PathAndQuery { get; init; }

    /// <summary>True when the request reached the foreign listener (<see cref="FhirTestServer.ForeignOrigin"/>).</summary>
    public required bool IsForeignHost { get; init; }

    /// <summary>What the server took the request for.</summary>
    public required FhirInteraction Interaction { get; init; }

    /// <summary>The resource type concerned, when there is one.</summary>
    public string? ResourceType { get; init; }

    /// <summary>Whether an <c>Authorization</c> header was sent.</summary>
    public required bool HasAuthorization { get; init; }

    /// <summary>The <c>Authorization</c> scheme sent (<c>Bearer</c>, <c>Basic</c>), never the credentials.</summary>
    public string? AuthorizationScheme { get; init; }

    /// <summary>The <c>Accept</c> header.</summary>
    public string? Accept { get; init; }

    /// <summary>The <c>Content-Type</c> header.</summary>
    public string? ContentType { get; init; }

    /// <summary>The <c>Prefer</c> header.</summary>
    public string? Prefer { get; init; }

    /// <summary>The <c>If-Match</c> header.</summary>
    public string? IfMatch { get; init; }

    /// <summary>The <c>If-None-Exist</c> header.</summary>
    public string? IfNoneExist { get; init; }

    /// <summary>The <c>User-Agent</c> header.</summary>
    public string? UserAgent { get; init; }

    /// <summary>The status answered, or 0 when the connection was aborted or the client went away first.</summary>
    public required int StatusCode { get; init; }

    /// <summary>The fault injected into this request, if any.</summary>
    public FaultKind? Fault { get; init; }

    /// <summary>The request body as the client sent it, when the server read one (creates, updates, transactions).</summary>
#pragma warning disable CA1819 // a recorded message: tests read the bytes as they were
    public byte[]? Body { get; init; }
#pragma warning restore CA1819

    /// <inheritdoc />
    public override string ToString() =>
        $"{Method} {PathAndQuery} -> {StatusCode}{(Fault is { } f ? $" [{f}]" : "")}{(IsForeignHost ? " (foreign host)" : "")}";
}
