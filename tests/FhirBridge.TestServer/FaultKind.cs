namespace FhirBridge.TestServer;

/// <summary>The kinds of failure the test server can inject; see <see cref="Fault"/> for what each looks like on the wire.</summary>
public enum FaultKind
{
    /// <summary>429 Too Many Requests with <c>Retry-After</c>.</summary>
    TooManyRequests = 0,

    /// <summary>503 Service Unavailable, with <c>Retry-After</c> when given.</summary>
    ServiceUnavailable,

    /// <summary>The connection is aborted (TCP reset) without an HTTP response.</summary>
    ConnectionReset,

    /// <summary>The response is delayed, then served normally unless the client gave up.</summary>
    Slow,

    /// <summary>The normal response, status and headers kept, with its JSON body cut in half.</summary>
    MalformedJson,

    /// <summary>A searchset's <c>next</c> link points at another host.</summary>
    ForeignNextLink,

    /// <summary>A <c>Location</c> or <c>Content-Location</c> header points at another host.</summary>
    ForeignLocation,

    /// <summary>A Bulk Data manifest's file URLs point at another host.</summary>
    ForeignManifestUrl,

    /// <summary>A Bulk Data manifest lists an OperationOutcome NDJSON file in <c>error</c>.</summary>
    ExportErrorFile,

    /// <summary>401 Unauthorized with <c>WWW-Authenticate</c>, whatever credentials were sent (an expired or revoked token).</summary>
    Unauthorized,

    /// <summary>Any HTTP status with an OperationOutcome body (such as 412 or 500 on a transaction).</summary>
    Status,
}
