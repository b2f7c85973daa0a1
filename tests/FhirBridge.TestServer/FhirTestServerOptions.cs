using System.Security.Cryptography;

namespace FhirBridge.TestServer;

/// <summary>Settings of a <see cref="FhirTestServer"/>, fixed when it starts.</summary>
public sealed class FhirTestServerOptions
{
    private readonly Dictionary<string, List<AsymmetricAlgorithm>> _smartClients = new(StringComparer.Ordinal);

    /// <summary>
    /// The clock for <c>meta.lastUpdated</c>, Bulk Data <c>transactionTime</c>, token expiry and JWT checks. Default:
    /// <see cref="TimeProvider.System"/>. Fault delays use real time whatever this is.
    /// </summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>The authentication the server asks for. Default: <see cref="FhirTestAuth.None"/>.</summary>
    public FhirTestAuth Auth { get; set; } = FhirTestAuth.None;

    /// <summary>How long a SMART access token lives, on <see cref="TimeProvider"/>'s clock. Default: 5 minutes.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The page size when a search has no <c>_count</c>. Default: 50.</summary>
    public int DefaultPageSize { get; set; } = 50;

    /// <summary>The largest page served; a larger <c>_count</c> is capped to it. Default: 500.</summary>
    public int MaxPageSize { get; set; } = 500;

    /// <summary>How many polls of a Bulk Data status URL answer 202 (in progress) before the manifest. Default: 1.</summary>
    public int ExportPendingPolls { get; set; } = 1;

    /// <summary>The <c>Retry-After</c> sent with a 202 status answer, whole seconds. Default: 1 second.</summary>
    public TimeSpan ExportRetryAfter { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The most resources in one Bulk Data NDJSON file; a type with more gets several files. Default: 1000.</summary>
    public int ExportMaxResourcesPerFile { get; set; } = 1000;

    /// <summary>
    /// Whether every incoming resource is parsed with the Firely SDK in strict mode, a failure answered 400 with the
    /// parser's issues (as a validating server does). Default: true.
    /// </summary>
    public bool ValidateResources { get; set; } = true;

    /// <summary>
    /// Whether the server opens a second listener on 127.0.0.2 (<see cref="FhirTestServer.ForeignOrigin"/>), the
    /// "other host" that foreign-link faults point at. Default: true.
    /// </summary>
    public bool ForeignListener { get; set; } = true;

    /// <summary>
    /// The resource types served (search, CRUD, transactions, export). Default: those FhirBridge reads and writes.
    /// Each must be a FHIR R4 resource type.
    /// </summary>
    public IList<string> ResourceTypes { get; } =
    [
        "Patient", "Encounter", "Procedure", "Observation", "Condition", "Location", "Organization", "ServiceRequest",
        "Group", "Practitioner", "PractitionerRole", "ResearchStudy", "ResearchSubject", "Provenance", "AdverseEvent",
        "Subscription",
    ];

    /// <summary>How classic rest-hook notifications are delivered. Default: <see cref="Subscriptions.NotificationStyle.Spec"/>.</summary>
    public Subscriptions.NotificationStyle NotificationStyle { get; set; } = Subscriptions.NotificationStyle.Spec;

    /// <summary>
    /// Whether the CapabilityStatement declares the R4 Subscriptions Backport IG (it instantiates its server
    /// CapabilityStatement, lists the backport Subscription profile, and advertises one topic per type,
    /// <c>{SubscriptionNotifier.TopicPrefix}{Type}</c>). Default: false.
    /// </summary>
    public bool AdvertiseBackport { get; set; }

    /// <summary>The registered SMART clients and their public keys.</summary>
    internal IReadOnlyDictionary<string, List<AsymmetricAlgorithm>> SmartClients => _smartClients;

    /// <summary>
    /// Registers a SMART Backend Services client whose assertions are signed RS384 with the private half of
    /// <paramref name="publicKey"/>. A client may have several keys (rotation); the server keeps a copy of the public part.
    /// </summary>
    /// <param name="clientId">The client id, which the assertion carries as <c>iss</c> and <c>sub</c>.</param>
    /// <param name="publicKey">The client's key; only its public parameters are used.</param>
    public void RegisterSmartClient(string clientId, RSA publicKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(clientId);
        ArgumentNullException.ThrowIfNull(publicKey);
        Add(clientId, RSA.Create(publicKey.ExportParameters(includePrivateParameters: false)));
    }

    /// <summary>Registers a SMART Backend Services client whose assertions are signed ES384 (P-384).</summary>
    /// <param name="clientId">The client id, which the assertion carries as <c>iss</c> and <c>sub</c>.</param>
    /// <param name="publicKey">The client's key; only its public parameters are used.</param>
    public void RegisterSmartClient(string clientId, ECDsa publicKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(clientId);
        ArgumentNullException.ThrowIfNull(publicKey);
        Add(clientId, ECDsa.Create(publicKey.ExportParameters(includePrivateParameters: false)));
    }

    /// <summary>Throws <see cref="InvalidOperationException"/> naming the first bad setting.</summary>
    internal void Validate()
    {
        if (TimeProvider is null)
        {
            throw new InvalidOperationException($"{nameof(FhirTestServerOptions)}.{nameof(TimeProvider)} is null.");
        }

        if (Auth is null)
        {
            throw new InvalidOperationException($"{nameof(FhirTestServerOptions)}.{nameof(Auth)} is null; use FhirTestAuth.None.");
        }

        if (TokenLifetime <= TimeSpan.Zero)
        {
            throw new InvalidOperationException($"{nameof(FhirTestServerOptions)}.{nameof(TokenLifetime)} must be positive.");
        }

        if (DefaultPageSize < 1 || MaxPageSize < DefaultPageSize)
        {
            throw new InvalidOperationException(
                $"{nameof(FhirTestServerOptions)}.{nameof(DefaultPageSize)} must be at least 1 and at most {nameof(MaxPageSize)}.");
        }

        if (ExportPendingPolls < 0 || ExportRetryAfter < TimeSpan.Zero || ExportMaxResourcesPerFile < 1)
        {
            throw new InvalidOperationException(
                $"{nameof(FhirTestServerOptions)}: {nameof(ExportPendingPolls)} and {nameof(ExportRetryAfter)} cannot be negative, {nameof(ExportMaxResourcesPerFile)} must be at least 1.");
        }

        foreach (var type in ResourceTypes)
        {
            if (!Hl7.Fhir.Model.ModelInfo.IsKnownResource(type))
            {
                throw new InvalidOperationException($"{nameof(FhirTestServerOptions)}.{nameof(ResourceTypes)}: '{type}' is not a FHIR R4 resource type.");
            }
        }
    }

    private void Add(string clientId, AsymmetricAlgorithm key)
    {
        if (!_smartClients.TryGetValue(clientId, out var keys))
        {
            keys = [];
            _smartClients[clientId] = keys;
        }

        keys.Add(key);
    }
}
