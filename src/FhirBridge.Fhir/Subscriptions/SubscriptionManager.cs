using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using FhirBridge.Fhir.Http;
using FhirBridge.Fhir.Pull;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.Logging;
using Task = System.Threading.Tasks.Task;

namespace FhirBridge.Fhir.Subscriptions;

/// <summary>
/// Keeps FhirBridge's rest-hook Subscriptions alive on one Rest source's server
/// (https://hl7.org/fhir/R4/subscription.html): one per pulled resource type, criteria <c>{Type}?</c>, channel
/// <c>rest-hook</c> to <see cref="SubscriptionSettings.Endpoint"/> with <c>Authorization: Bearer {secret}</c> in
/// <c>channel.header</c> and no payload (a notification is only a trigger, so no patient data needs to travel in it).
/// A server whose CapabilityStatement declares the R4 Subscriptions Backport IG and advertises a topic on a type's
/// <c>rest.resource</c> gets a topic subscription for that type instead (payload content <c>empty</c>, heartbeats on).
/// Each Subscription carries the tag <see cref="TagSystem"/>|<c>{source}/{type}</c>: FhirBridge only ever reads,
/// recreates or deletes Subscriptions with its own source's tag. All requests go through the source's own HTTP client
/// (origin guard, auth, resilience), to its base URL only.
/// </summary>
public sealed class SubscriptionManager
{
    /// <summary>The tag system marking FhirBridge's own Subscriptions; the code is <c>{source}/{type}</c>.</summary>
    public const string TagSystem = "http://fhirbridge.org/fhir/sid/subscription";

    private static readonly FhirJsonDeserializer Deserializer = new(new DeserializerSettings().UsingMode(DeserializationMode.Recoverable));
    private static readonly FhirJsonSerializer Serializer = new();
    private readonly string _source;
    private readonly Uri _baseUrl;
    private readonly IHttpClientFactory _clients;
    private readonly SubscriptionSettings _settings;
    private readonly ILogger _logger;

    /// <summary>Creates the manager of one source.</summary>
    /// <param name="source">The source's name.</param>
    /// <param name="baseUrl">The source's FHIR base URL, with a trailing slash.</param>
    /// <param name="clients">The factory holding the source's client (<see cref="FhirSourceHttp.ClientName"/>).</param>
    /// <param name="settings">Endpoint, secret and types.</param>
    /// <param name="logger">Where creations and recreations are logged (with the server's reason).</param>
    public SubscriptionManager(string source, Uri baseUrl, IHttpClientFactory clients, SubscriptionSettings settings, ILogger<SubscriptionManager> logger)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        ArgumentNullException.ThrowIfNull(settings);
        _source = source;
        _baseUrl = FhirHttpClients.WithTrailingSlash(baseUrl);
        _clients = clients;
        _settings = settings;
        _logger = logger;
    }

    /// <summary>The source's name.</summary>
    public string Source => _source;

    /// <summary>The tag code of a type's Subscription.</summary>
    public string TagCode(string resourceType) => _source + "/" + resourceType;

    /// <summary>
    /// Makes sure every pulled type has one of our Subscriptions in a working state: creates missing ones; deletes and
    /// recreates one that is <c>error</c> or <c>off</c> (logging the server's <c>Subscription.error</c>), or whose
    /// endpoint or kind no longer matches the settings; removes duplicates.
    /// </summary>
    /// <returns>Our Subscriptions as they are afterwards.</returns>
    /// <exception cref="SubscriptionException">The server refused a request.</exception>
    public async Task<IReadOnlyList<SubscriptionState>> EnsureAsync(CancellationToken cancellationToken)
    {
        var http = _clients.CreateClient(FhirSourceHttp.ClientName(_source));
        var topics = await TopicsAsync(http, cancellationToken);
        var existing = await OwnAsync(http, cancellationToken);
        var result = new List<SubscriptionState>();
        foreach (var type in _settings.ResourceTypes)
        {
            var tag = TagCode(type);
            var mine = existing.Where(s => TagOf(s) == tag).ToList();
            var topic = topics.GetValueOrDefault(type);
            Subscription? keep = null;
            foreach (var s in mine)
            {
                var reason = keep is not null ? "a duplicate"
                    : s.Status is Subscription.SubscriptionStatus.Error or Subscription.SubscriptionStatus.Off
                        ? $"its status is {Code(s.Status)}{(string.IsNullOrEmpty(s.Error) ? "" : ": " + s.Error)}"
                    : s.Channel?.Endpoint != _settings.Endpoint.AbsoluteUri ? "its endpoint is not the configured one"
                    : s.Criteria != (topic ?? type + "?") ? "its criteria no longer match the server's capabilities"
                    : null;
                if (reason is null)
                {
                    keep = s;
                    continue;
                }

                _logger.LogWarning("Subscription {Id} for {ResourceType} on source {Source} is recreated: {Reason}", s.Id, type, _source, reason);
                await DeleteAsync(http, s.Id!, cancellationToken);
            }

            if (keep is null)
            {
                keep = await CreateAsync(http, type, topic, cancellationToken);
                _logger.LogInformation("Created {Kind} Subscription {Id} for {ResourceType} on source {Source} (status {Status})",
                    topic is null ? "rest-hook" : "Backport topic", keep.Id, type, _source, Code(keep.Status));
            }

            result.Add(ToState(type, keep));
        }

        return result;
    }

    /// <summary>Our Subscriptions on the server with their server-side status and error, without changing anything.</summary>
    /// <exception cref="SubscriptionException">The server refused the search.</exception>
    public async Task<IReadOnlyList<SubscriptionState>> StatusAsync(CancellationToken cancellationToken)
    {
        var http = _clients.CreateClient(FhirSourceHttp.ClientName(_source));
        var prefix = _source + "/";
        return [.. (await OwnAsync(http, cancellationToken)).Select(s => ToState(TagOf(s)![prefix.Length..], s))];
    }

    /// <summary>Deletes our Subscriptions (those with this source's tag) and nothing else.</summary>
    /// <returns>How many were deleted.</returns>
    /// <exception cref="SubscriptionException">The server refused a request.</exception>
    public async Task<int> RemoveAsync(CancellationToken cancellationToken)
    {
        var http = _clients.CreateClient(FhirSourceHttp.ClientName(_source));
        var own = await OwnAsync(http, cancellationToken);
        foreach (var s in own)
        {
            await DeleteAsync(http, s.Id!, cancellationToken);
            _logger.LogInformation("Deleted Subscription {Id} on source {Source}", s.Id, _source);
        }

        return own.Count;
    }

    /// <summary>
    /// The topic canonical per resource type when the server declares the Backport IG (it <c>instantiates</c> the R4
    /// server CapabilityStatement, or lists the backport Subscription profile) and advertises a topic on that type's
    /// <c>rest.resource</c>; empty otherwise (classic criteria everywhere).
    /// </summary>
    private async Task<Dictionary<string, string>> TopicsAsync(HttpClient http, CancellationToken cancellationToken)
    {
        var topics = new Dictionary<string, string>(StringComparer.Ordinal);
        var capabilities = await SendAsync(http, HttpMethod.Get, new Uri(_baseUrl, "metadata"), null, "reading the CapabilityStatement", cancellationToken) as CapabilityStatement
            ?? throw new SubscriptionException($"source {_source}: metadata is not a CapabilityStatement");
        var rest = capabilities.Rest.FirstOrDefault(r => r.Mode == CapabilityStatement.RestfulCapabilityMode.Server);
        if (rest is null)
        {
            return topics;
        }

        var subscription = rest.Resource.FirstOrDefault(r => r.Type == "Subscription");
        if (subscription is null)
        {
            throw new SubscriptionException($"source {_source}: the server's CapabilityStatement lists no Subscription resource; it cannot notify (turn Subscriptions:Enabled off)");
        }

        var backport = capabilities.Instantiates.Contains(BackportIg.ServerCapabilityStatement)
            || subscription.SupportedProfile.Contains(BackportIg.SubscriptionProfile);
        if (!backport)
        {
            return topics;
        }

        foreach (var resource in rest.Resource.Where(r => r.Type is not null && _settings.ResourceTypes.Contains(r.Type)))
        {
            if (resource.GetExtensionValue<Canonical>(BackportIg.TopicCanonical)?.Value is { Length: > 0 } topic)
            {
                topics[resource.Type!] = topic;
            }
        }

        return topics;
    }

    private async Task<List<Subscription>> OwnAsync(HttpClient http, CancellationToken cancellationToken)
    {
        // Servers differ in which search parameters they know for Subscription (_tag is not universal), so read them
        // all and keep ours by tag.
        var own = new List<Subscription>();
        Uri? url = new(_baseUrl, "Subscription?_count=100");
        for (var page = 1; url is not null && page <= 100; page++)
        {
            var bundle = await SendAsync(http, HttpMethod.Get, url, null, "searching Subscriptions", cancellationToken) as Bundle
                ?? throw new SubscriptionException($"source {_source}: the Subscription search did not answer a Bundle");
            own.AddRange(bundle.Entry.Select(e => e.Resource).OfType<Subscription>().Where(s => s.Id is not null && TagOf(s) is { } tag && tag.StartsWith(_source + "/", StringComparison.Ordinal)));
            url = bundle.NextLink is { } next ? (next.IsAbsoluteUri ? next : new Uri(url, next)) : null;
        }

        return own;
    }

    private async Task<Subscription> CreateAsync(HttpClient http, string type, string? topic, CancellationToken cancellationToken)
    {
        var subscription = new Subscription
        {
            Meta = new Meta { Tag = [new Coding(TagSystem, TagCode(type))] },
            Status = Subscription.SubscriptionStatus.Requested,
            Reason = $"FhirBridge pulls {type} changes of source {_source} when notified",
            Criteria = topic ?? type + "?",
            Channel = new Subscription.ChannelComponent
            {
                Type = Subscription.SubscriptionChannelType.RestHook,
                Endpoint = _settings.Endpoint.AbsoluteUri,
                Header = ["Authorization: Bearer " + _settings.Secret],
            },
        };
        if (topic is not null)
        {
            subscription.Meta.Profile = [BackportIg.SubscriptionProfile];
            subscription.CriteriaElement.AddExtension(BackportIg.FilterCriteria, new FhirString(type + "?"));
            subscription.Channel.Payload = "application/fhir+json";
            subscription.Channel.PayloadElement.AddExtension(BackportIg.PayloadContent, new Code("empty"));
            subscription.Channel.AddExtension(BackportIg.HeartbeatPeriod, new UnsignedInt((int)_settings.HeartbeatPeriod.TotalSeconds));
        }

        return await SendAsync(http, HttpMethod.Post, new Uri(_baseUrl, "Subscription"), subscription, $"creating the {type} Subscription", cancellationToken) as Subscription
            ?? throw new SubscriptionException($"source {_source}: creating the {type} Subscription did not answer a Subscription");
    }

    private async Task DeleteAsync(HttpClient http, string id, CancellationToken cancellationToken) =>
        await SendAsync(http, HttpMethod.Delete, new Uri(_baseUrl, "Subscription/" + Uri.EscapeDataString(id)), null, $"deleting Subscription {id}", cancellationToken);

    private async Task<Resource?> SendAsync(HttpClient http, HttpMethod method, Uri url, Resource? body, string step, CancellationToken cancellationToken)
    {
        string json;
        try
        {
            using var request = new HttpRequestMessage(method, url);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/fhir+json"));
            if (body is not null)
            {
                request.Content = new StringContent(Serializer.SerializeToString(body), Encoding.UTF8, "application/fhir+json");
                request.Headers.Add("Prefer", "return=representation");
            }

            using var response = await http.SendAsync(request, cancellationToken);
            json = await response.Content.ReadAsStringAsync(cancellationToken);
            if (method == HttpMethod.Delete && response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                return null; // gone already
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new SubscriptionException(string.Create(CultureInfo.InvariantCulture,
                    $"source {_source}: {step}: the server answered {(int)response.StatusCode} {response.ReasonPhrase}{OperationOutcomeText.Describe(json)}"));
            }
        }
        catch (Exception e) when (e is not SubscriptionException && !(e is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            throw new SubscriptionException($"source {_source}: {step}: {RestSource.Describe(e)}", e);
        }

        if (json.Length == 0)
        {
            return null;
        }

        try
        {
            Deserializer.TryDeserializeResource(json, out var parsed, out _);
            return parsed;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new SubscriptionException($"source {_source}: {step}: the answer is not FHIR JSON ({e.GetType().Name})", e);
        }
    }

    private static string? TagOf(Subscription s) => s.Meta?.Tag.FirstOrDefault(t => t.System == TagSystem)?.Code;

    private static SubscriptionState ToState(string type, Subscription s) =>
        new(type, s.Id ?? "", s.Criteria ?? "", Code(s.Status), string.IsNullOrEmpty(s.Error) ? null : s.Error, s.Meta?.Profile.Contains(BackportIg.SubscriptionProfile) == true);

    private static string Code(Subscription.SubscriptionStatus? status) => status switch
    {
        Subscription.SubscriptionStatus.Requested => "requested",
        Subscription.SubscriptionStatus.Active => "active",
        Subscription.SubscriptionStatus.Error => "error",
        Subscription.SubscriptionStatus.Off => "off",
        _ => "unknown",
    };
}
