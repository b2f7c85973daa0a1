using System.Collections.Concurrent;
using FhirBridge.TestServer.Auth;
using FhirBridge.TestServer.Export;
using FhirBridge.TestServer.Search;
using FhirBridge.TestServer.Store;

namespace FhirBridge.TestServer.Http;

/// <summary>Everything one running server shares between requests.</summary>
internal sealed class ServerContext
{
    public ServerContext(FhirTestServerOptions options)
    {
        Options = options;
        Store = new ResourceStore(options.ResourceTypes, options.TimeProvider);
        Tokens = new AccessTokens(options.TimeProvider);
        Assertions = new ClientAssertionValidator(options.SmartClients, options.TimeProvider);
        Notifier = new Subscriptions.SubscriptionNotifier(Store, options, () => BaseUrl);
    }

    public Subscriptions.SubscriptionNotifier Notifier { get; }

    public FhirTestServerOptions Options { get; }

    public TimeProvider Clock => Options.TimeProvider;

    public ResourceStore Store { get; }

    public FaultInjector Faults { get; } = new();

    public SearchSnapshots Snapshots { get; } = new();

    public AccessTokens Tokens { get; }

    public ClientAssertionValidator Assertions { get; }

    public ConcurrentDictionary<string, ExportJob> ExportJobs { get; } = new(StringComparer.Ordinal);

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    // Answers whose response has started (so the client may already have read it) and that are not logged yet.
    private int _answersNotLogged;

    /// <summary>A response has started: the client may see it before its request is logged.</summary>
    public void AnswerStarted() => Interlocked.Increment(ref _answersNotLogged);

    /// <summary>The request of a started response is logged.</summary>
    public void AnswerLogged() => Interlocked.Decrement(ref _answersNotLogged);

    /// <summary>
    /// The log, once every request whose answer has started is in it: a request is logged after its handler ends, and a
    /// client that read the answer (an error it then throws) may look at the log first. Requests still waiting for an
    /// answer (a slow fault) are not waited for.
    /// </summary>
    public RecordedRequest[] LoggedRequests()
    {
        SpinWait.SpinUntil(() => Volatile.Read(ref _answersNotLogged) == 0, TimeSpan.FromSeconds(10));
        return Requests.ToArray();
    }

    /// <summary><c>http://127.0.0.1:PORT/</c>, set once the listener is bound.</summary>
    public string Origin { get; set; } = "";

    /// <summary><c>http://127.0.0.1:PORT/fhir/</c>.</summary>
    public string BaseUrl => Origin + "fhir/";

    /// <summary>The second listener's origin, such as <c>http://127.0.0.2:PORT/</c>.</summary>
    public string ForeignOrigin { get; set; } = "";

    /// <summary>The second listener's port (0 when there is none).</summary>
    public int ForeignPort { get; set; }

    /// <summary>
    /// The foreign listener's address. Port numbers are chosen per address, so the foreign listener on 127.0.0.2 can
    /// get the primary's port number: a request is foreign only when it reached this address and port.
    /// </summary>
    public System.Net.IPAddress? ForeignAddress { get; set; }

    /// <summary>Cancelled when the server stops, so injected delays end.</summary>
    public CancellationToken Stopping { get; set; }

    public TransactionProcessor Transactions => new(Store, BaseUrl, Options.MaxPageSize);

    public string TokenUrl => Origin + "auth/token";

    /// <summary>Takes a modifying fault for this request (never for the foreign listener's).</summary>
    public Fault? TakeModifier(FaultKind kind, RequestInfo info) =>
        info.IsForeign ? null : Faults.TakeModifier(kind, info.Interaction, info.ResourceType, info.RawTarget);

    /// <summary>The same path and query on another origin.</summary>
    public string Rebase(string url, Uri? origin)
    {
        var target = origin is null ? ForeignOrigin : origin.GetLeftPart(UriPartial.Authority) + "/";
        return url.StartsWith(Origin, StringComparison.Ordinal) ? target + url[Origin.Length..] : url;
    }
}
