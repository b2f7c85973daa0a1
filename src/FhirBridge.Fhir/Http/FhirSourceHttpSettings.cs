namespace FhirBridge.Fhir.Http;

/// <summary>
/// How one source talks HTTP: credentials, the per-request timeout, retries and the circuit breaker. The defaults suit a
/// hospital FHIR server on a LAN; see <see cref="FhirSourceHttpServiceCollectionExtensions.AddFhirSourceHttp"/>.
/// </summary>
public sealed record FhirSourceHttpSettings
{
    /// <summary>The credentials. Default none.</summary>
    public FhirSourceAuthSettings Auth { get; init; } = new();

    /// <summary>
    /// How long one attempt may take until its response headers arrive (and, for JSON, its whole body). A slower attempt
    /// is abandoned and, for a GET, retried. Default 30 seconds.
    /// </summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Retries after a transient failure (connection error, timeout, malformed JSON body, 408, 429, 500, 502, 503, 504),
    /// for GET only: a POST, PUT or DELETE is never replayed. 0 turns retries off. Default 4.
    /// </summary>
    public int MaxRetries { get; init; } = 4;

    /// <summary>The first retry's delay; each next one doubles, with jitter. Default 1 second.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The longest wait before a retry, including one a <c>Retry-After</c> header (seconds or an HTTP date) asks for on a
    /// 429 or 503. Default 60 seconds.
    /// </summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The share of failed attempts, within <see cref="CircuitBreakerSamplingDuration"/>, that opens the source's circuit. Default 0.5.</summary>
    public double CircuitBreakerFailureRatio { get; init; } = 0.5;

    /// <summary>The fewest attempts within the sampling duration before the circuit may open. Default 10.</summary>
    public int CircuitBreakerMinimumThroughput { get; init; } = 10;

    /// <summary>The window over which failures are counted. Default 60 seconds.</summary>
    public TimeSpan CircuitBreakerSamplingDuration { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long an open circuit refuses requests at once, before it lets one through to test the server. Default 30 seconds.</summary>
    public TimeSpan CircuitBreakerBreakDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Allow plain <c>http</c> to a host that is not on loopback. Default false: only <c>https</c>, except for a loopback
    /// base URL (a server on the same machine).
    /// </summary>
    public bool AllowInsecureHttp { get; init; }
}
