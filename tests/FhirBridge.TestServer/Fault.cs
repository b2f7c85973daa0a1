using System.Globalization;

namespace FhirBridge.TestServer;

/// <summary>
/// One injected failure: what the server does instead of (or to) its normal answer. Create one with the factory methods
/// and hand it to <see cref="FaultInjector.Enqueue"/>, which says which requests it hits and how many times.
/// </summary>
public sealed class Fault
{
    private Fault(FaultKind kind, int statusCode)
    {
        Kind = kind;
        StatusCode = statusCode;
    }

    /// <summary>The kind of failure.</summary>
    public FaultKind Kind { get; }

    /// <summary>The HTTP status the client sees, or 0 when the fault does not replace the status.</summary>
    public int StatusCode { get; }

    /// <summary>The <c>Retry-After</c> header value in seconds, when the fault sends one.</summary>
    public int? RetryAfterSeconds { get; private init; }

    /// <summary>How long a <see cref="FaultKind.Slow"/> response waits (real time, not the server's clock).</summary>
    public TimeSpan Delay { get; private init; }

    /// <summary>The other host a foreign link or URL points at; null means <see cref="FhirTestServer.ForeignOrigin"/>.</summary>
    public Uri? ForeignOrigin { get; private init; }

    /// <summary>The OperationOutcome diagnostics the fault sends, when it sends one.</summary>
    public string? Diagnostics { get; private init; }

    /// <summary>
    /// For <see cref="FaultKind.Status"/>, <see cref="FaultKind.ConnectionReset"/> and <see cref="FaultKind.Slow"/>: the
    /// request is processed first (a transaction is committed) and only the answer is lost or late, as when a response
    /// times out after the server did the work.
    /// </summary>
    public bool AfterProcessing { get; private init; }

    /// <summary>429 Too Many Requests with <c>Retry-After: N</c> and an OperationOutcome (code <c>throttled</c>).</summary>
    /// <param name="retryAfterSeconds">The <c>Retry-After</c> delay in seconds.</param>
    public static Fault TooManyRequests(int retryAfterSeconds = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(retryAfterSeconds);
        return new Fault(FaultKind.TooManyRequests, 429) { RetryAfterSeconds = retryAfterSeconds };
    }

    /// <summary>503 Service Unavailable with an OperationOutcome (code <c>transient</c>); enqueue it N times for a burst.</summary>
    /// <param name="retryAfterSeconds">A <c>Retry-After</c> delay in seconds, or null to send none.</param>
    public static Fault ServiceUnavailable(int? retryAfterSeconds = null)
    {
        if (retryAfterSeconds is { } s)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(s);
        }

        return new Fault(FaultKind.ServiceUnavailable, 503) { RetryAfterSeconds = retryAfterSeconds };
    }

    /// <summary>The server aborts the connection: the client gets an <c>HttpRequestException</c> (IOException), no status.</summary>
    /// <param name="afterProcessing">Process the request first (commit a transaction), then abort instead of answering.</param>
    public static Fault ConnectionReset(bool afterProcessing = false) =>
        new(FaultKind.ConnectionReset, 0) { AfterProcessing = afterProcessing };

    /// <summary>
    /// The server waits <paramref name="delay"/> before it starts the normal response; it stops waiting when the client
    /// disconnects (a client timeout), so a slow fault never holds up the server's disposal for long.
    /// </summary>
    /// <param name="delay">The wait, in real time.</param>
    /// <param name="afterProcessing">Process the request first (commit a transaction), then wait before answering.</param>
    public static Fault Slow(TimeSpan delay, bool afterProcessing = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        return new Fault(FaultKind.Slow, 0) { Delay = delay, AfterProcessing = afterProcessing };
    }

    /// <summary>
    /// The normal response (status, headers, a correct <c>Content-Length</c>) whose JSON body is cut in half, so it ends
    /// in the middle of an object: a complete HTTP message that no JSON parser accepts.
    /// </summary>
    public static Fault MalformedJson() => new(FaultKind.MalformedJson, 0);

    /// <summary>
    /// The searchset's <c>next</c> link has the same path and query but another origin. By default that origin is
    /// <see cref="FhirTestServer.ForeignOrigin"/>, a second listener on 127.0.0.2 that serves the same data without
    /// asking for credentials and logs every request it gets (<see cref="RecordedRequest.IsForeignHost"/>).
    /// </summary>
    /// <param name="origin">Another origin such as <c>http://evil.example/</c>, or null for the server's foreign listener.</param>
    public static Fault ForeignNextLink(Uri? origin = null) => new(FaultKind.ForeignNextLink, 0) { ForeignOrigin = origin };

    /// <summary>
    /// The response's <c>Location</c> / <c>Content-Location</c> header (a create or update, or a Bulk Data kick-off's
    /// status URL) points at another origin, same path and query.
    /// </summary>
    /// <param name="origin">Another origin, or null for <see cref="FhirTestServer.ForeignOrigin"/>.</param>
    public static Fault ForeignLocation(Uri? origin = null) => new(FaultKind.ForeignLocation, 0) { ForeignOrigin = origin };

    /// <summary>The completed Bulk Data manifest's <c>output</c> and <c>error</c> URLs point at another origin.</summary>
    /// <param name="origin">Another origin, or null for <see cref="FhirTestServer.ForeignOrigin"/>.</param>
    public static Fault ForeignManifestUrl(Uri? origin = null) => new(FaultKind.ForeignManifestUrl, 0) { ForeignOrigin = origin };

    /// <summary>
    /// The completed Bulk Data manifest lists, in <c>error</c>, an NDJSON file of one OperationOutcome (severity error,
    /// code <c>processing</c>) carrying <paramref name="diagnostics"/>. Each such fault enqueued adds one file.
    /// </summary>
    /// <param name="diagnostics">The OperationOutcome's diagnostics.</param>
    public static Fault ExportErrorFile(string diagnostics = "Injected export error")
    {
        ArgumentException.ThrowIfNullOrEmpty(diagnostics);
        return new Fault(FaultKind.ExportErrorFile, 0) { Diagnostics = diagnostics };
    }

    /// <summary>
    /// 401 Unauthorized with <c>WWW-Authenticate: Bearer error="invalid_token"</c> (Basic for a Basic server) whatever
    /// credentials were sent: what a client sees when its token expired or was revoked early.
    /// </summary>
    public static Fault Unauthorized() => new(FaultKind.Unauthorized, 401);

    /// <summary>Any HTTP status with an OperationOutcome body, such as 412 or 500 on a registry transaction.</summary>
    /// <param name="statusCode">The HTTP status, 400 to 599.</param>
    /// <param name="diagnostics">The OperationOutcome's diagnostics, or null for a default text.</param>
    /// <param name="afterProcessing">Process the request first (commit a transaction), then answer with this status.</param>
    public static Fault Status(int statusCode, string? diagnostics = null, bool afterProcessing = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(statusCode, 400);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(statusCode, 599);
        return new Fault(FaultKind.Status, statusCode) { Diagnostics = diagnostics, AfterProcessing = afterProcessing };
    }

    /// <summary>True for the faults applied where they fit in a normal answer (a link, a header, a manifest).</summary>
    internal bool IsModifier =>
        Kind is FaultKind.ForeignNextLink or FaultKind.ForeignLocation or FaultKind.ForeignManifestUrl or FaultKind.ExportErrorFile;

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        FaultKind.Status => string.Create(CultureInfo.InvariantCulture, $"Status({StatusCode}{(AfterProcessing ? ", after processing" : "")})"),
        FaultKind.Slow => string.Create(CultureInfo.InvariantCulture, $"Slow({Delay})"),
        FaultKind.TooManyRequests or FaultKind.ServiceUnavailable =>
            string.Create(CultureInfo.InvariantCulture, $"{Kind}(Retry-After {RetryAfterSeconds?.ToString(CultureInfo.InvariantCulture) ?? "none"})"),
        _ => Kind.ToString(),
    };
}
