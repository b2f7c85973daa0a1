using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using FhirBridge.TestServer.Store;

namespace FhirBridge.TestServer.Subscriptions;

/// <summary>
/// The test server's side of rest-hook Subscriptions (https://hl7.org/fhir/R4/subscription.html). When a resource is
/// created or updated, every <c>requested</c> or <c>active</c> rest-hook Subscription whose criteria names its type
/// (<c>Procedure?</c>; the type is all that is matched) is notified at <c>channel.endpoint</c> with the
/// <c>channel.header</c>s; success sets it <c>active</c>, failure sets <c>error</c> with <c>Subscription.error</c>.
/// A Subscription with the Backport IG profile (https://hl7.org/fhir/uv/subscriptions-backport/) gets a handshake when
/// it is created, then event-notification Bundles with <c>events-since-subscription-start</c> (and heartbeats on demand).
/// Deliveries happen in the background, one at a time, in order; <see cref="WhenIdleAsync"/> waits for them.
/// </summary>
public sealed class SubscriptionNotifier : IAsyncDisposable
{
    /// <summary>The canonical prefix of the topics the server advertises (one per type, <c>{prefix}{Type}</c>).</summary>
    public const string TopicPrefix = "http://fhirbridge.org/fhir/test/SubscriptionTopic/";

    private const string BackportProfile = "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription";
    private readonly ResourceStore _store;
    private readonly FhirTestServerOptions _options;
    private readonly Func<string> _baseUrl;
    private readonly Channel<Func<Task>> _work = Channel.CreateUnbounded<Func<Task>>(new UnboundedChannelOptions { SingleReader = true });
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly ConcurrentQueue<SentNotification> _sent = new();
    private readonly Dictionary<string, long> _events = new(StringComparer.Ordinal);
    private readonly Task _loop;
    private int _pending;
    private volatile bool _anySubscription;

    internal SubscriptionNotifier(ResourceStore store, FhirTestServerOptions options, Func<string> baseUrl)
    {
        _store = store;
        _options = options;
        _baseUrl = baseUrl;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Every notification sent so far, in order (a snapshot).</summary>
    public IReadOnlyList<SentNotification> Sent => _sent.ToArray();

    /// <summary>
    /// Loses events: every Backport Subscription's event count rises by <paramref name="count"/> without a notification,
    /// as if those notifications were lost. The next heartbeat or event-notification shows the gap.
    /// </summary>
    public void SkipEvents(int count) => Enqueue(() =>
    {
        lock (_events)
        {
            foreach (var (id, json) in Subscriptions())
            {
                if (IsBackport(json))
                {
                    _events[id] = _events.GetValueOrDefault(id) + count;
                }
            }
        }

        return Task.CompletedTask;
    });

    /// <summary>Sends a heartbeat to every active Backport Subscription now (in the background, in order).</summary>
    public void SendHeartbeats() => Enqueue(async () =>
    {
        foreach (var (id, json) in Subscriptions())
        {
            if (IsBackport(json) && Status(json) == "active")
            {
                await DeliverAsync(id, json, "heartbeat", null, null);
            }
        }
    });

    /// <summary>
    /// Sends an arbitrary notification now (not queued): any method, URL, body and headers, for tests of what a client
    /// does with a hostile or odd notification.
    /// </summary>
    /// <returns>The answer's status code.</returns>
    public async Task<int> SendAsync(HttpMethod method, Uri url, string? body, IEnumerable<KeyValuePair<string, string>> headers, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(headers);
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/fhir+json");
        }

        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await _http.SendAsync(request, ct);
        _sent.Enqueue(new SentNotification(_options.TimeProvider.GetUtcNow(), null, "custom", method.Method, url, (int)response.StatusCode, null));
        return (int)response.StatusCode;
    }

    /// <summary>Waits until every queued delivery was made.</summary>
    public async Task WhenIdleAsync(CancellationToken ct = default)
    {
        while (Volatile.Read(ref _pending) > 0)
        {
            await Task.Delay(20, ct);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _work.Writer.TryComplete();
        await Task.WhenAny(_loop, Task.Delay(TimeSpan.FromSeconds(2)));
        _http.Dispose();
    }

    /// <summary>Called after a write committed: notifies about each written (not deleted) version.</summary>
    internal void Written(IEnumerable<ResourceVersion?> versions)
    {
        foreach (var v in versions)
        {
            if (v is null || v.IsDeleted)
            {
                continue;
            }

            // Seeding writes many thousands of resources: until a Subscription exists, there is no one to notify.
            if (v.Type != "Subscription" && !_anySubscription)
            {
                continue;
            }

            if (v.Type == "Subscription")
            {
                _anySubscription = true;
                if (v.VersionId == 1)
                {
                    Enqueue(() => StartAsync(v.Id));
                }

                continue;
            }

            var (type, id) = (v.Type, v.Id);
            Enqueue(() => NotifyAsync(type, id));
        }
    }

    private void Enqueue(Func<Task> work)
    {
        Interlocked.Increment(ref _pending);
        if (!_work.Writer.TryWrite(work))
        {
            Interlocked.Decrement(ref _pending);
        }
    }

    private async Task RunAsync()
    {
        await foreach (var work in _work.Reader.ReadAllAsync())
        {
            try
            {
                await work();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A test server must not die of one bad delivery; the Subscription's status says what happened.
                _ = e;
            }
            finally
            {
                Interlocked.Decrement(ref _pending);
            }
        }
    }

    private async Task StartAsync(string id)
    {
        var json = Subscriptions().FirstOrDefault(s => s.Id == id).Json;
        if (json is null || Status(json) != "requested" || !IsRestHook(json))
        {
            return;
        }

        if (IsBackport(json))
        {
            await DeliverAsync(id, json, "handshake", null, null);
        }
        else
        {
            SetStatus(id, "active", null);
        }
    }

    private async Task NotifyAsync(string type, string id)
    {
        string? resource;
        lock (_store.Sync)
        {
            resource = _store.Current(type, id)?.Json;
        }

        foreach (var (subscriptionId, json) in Subscriptions())
        {
            if (Status(json) is not ("active" or "requested") || !IsRestHook(json) || CriteriaType(json) != type)
            {
                continue;
            }

            await DeliverAsync(subscriptionId, json, IsBackport(json) ? "event-notification" : "classic", $"{type}/{id}", resource);
        }
    }

    private async Task DeliverAsync(string id, JsonObject subscription, string kind, string? focus, string? resource)
    {
        var channel = subscription["channel"]!.AsObject();
        var endpoint = new Uri(channel["endpoint"]!.GetValue<string>());
        var payload = channel["payload"]?.GetValue<string>();
        HttpMethod method = HttpMethod.Post;
        var url = endpoint;
        string? body = null;
        long? eventNumber = null;
        if (IsBackport(subscription))
        {
            long since;
            lock (_events)
            {
                since = _events.GetValueOrDefault(id);
                if (kind == "event-notification")
                {
                    since++;
                    _events[id] = since;
                    eventNumber = since;
                }
            }

            body = BackportBundle(id, subscription, kind, since, eventNumber, focus);
        }
        else
        {
            var style = _options.NotificationStyle;
            if (style == NotificationStyle.Spec)
            {
                style = payload is { Length: > 0 } ? NotificationStyle.ClassicPut : NotificationStyle.Empty;
            }

            switch (style)
            {
                case NotificationStyle.ClassicPut:
                    method = HttpMethod.Put;
                    url = new Uri(endpoint.AbsoluteUri.TrimEnd('/') + "/" + focus);
                    body = resource;
                    break;
                case NotificationStyle.PostBareResource:
                    body = resource;
                    break;
            }
        }

        int status;
        string? error = null;
        try
        {
            using var request = new HttpRequestMessage(method, url);
            if (body is not null)
            {
                request.Content = new StringContent(body, Encoding.UTF8);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/fhir+json");
            }

            foreach (var header in channel["header"]?.AsArray() ?? [])
            {
                var text = header!.GetValue<string>();
                var colon = text.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0)
                {
                    request.Headers.TryAddWithoutValidation(text[..colon].Trim(), text[(colon + 1)..].Trim());
                }
            }

            using var response = await _http.SendAsync(request);
            status = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode)
            {
                error = string.Create(CultureInfo.InvariantCulture, $"The endpoint answered {status} to a {kind} notification.");
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            status = 0;
            error = $"The endpoint could not be reached ({e.GetType().Name}).";
        }

        _sent.Enqueue(new SentNotification(_options.TimeProvider.GetUtcNow(), id, kind, method.Method, url, status, eventNumber));
        if (error is not null)
        {
            SetStatus(id, "error", error);
        }
        else if (Status(subscription) == "requested")
        {
            SetStatus(id, "active", null);
        }
    }

    private string BackportBundle(string id, JsonObject subscription, string kind, long since, long? eventNumber, string? focus)
    {
        var parameters = new JsonArray
        {
            new JsonObject { ["name"] = "subscription", ["valueReference"] = new JsonObject { ["reference"] = _baseUrl() + "Subscription/" + id } },
            new JsonObject { ["name"] = "topic", ["valueCanonical"] = subscription["criteria"]?.GetValue<string>() },
            new JsonObject { ["name"] = "status", ["valueCode"] = Status(subscription) == "requested" ? "requested" : "active" },
            new JsonObject { ["name"] = "type", ["valueCode"] = kind },
            new JsonObject { ["name"] = "events-since-subscription-start", ["valueString"] = since.ToString(CultureInfo.InvariantCulture) },
        };
        if (eventNumber is { } n)
        {
            var parts = new JsonArray { new JsonObject { ["name"] = "event-number", ["valueString"] = n.ToString(CultureInfo.InvariantCulture) } };
            if (focus is not null)
            {
                parts.Add(new JsonObject { ["name"] = "focus", ["valueReference"] = new JsonObject { ["reference"] = _baseUrl() + focus } });
            }

            parameters.Add(new JsonObject { ["name"] = "notification-event", ["part"] = parts });
        }

        var bundle = new JsonObject
        {
            ["resourceType"] = "Bundle",
            ["type"] = "history",
            ["timestamp"] = _options.TimeProvider.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["entry"] = new JsonArray
            {
                new JsonObject
                {
                    ["fullUrl"] = "urn:uuid:" + Guid.NewGuid().ToString("D"),
                    ["resource"] = new JsonObject
                    {
                        ["resourceType"] = "Parameters",
                        ["meta"] = new JsonObject { ["profile"] = new JsonArray { "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription-status-r4" } },
                        ["parameter"] = parameters,
                    },
                    ["request"] = new JsonObject { ["method"] = "GET", ["url"] = _baseUrl() + "Subscription/" + id + "/$status" },
                    ["response"] = new JsonObject { ["status"] = "200" },
                },
            },
        };
        return bundle.ToJsonString();
    }

    private List<(string Id, JsonObject Json)> Subscriptions()
    {
        lock (_store.Sync)
        {
            return _store.IsSupported("Subscription")
                ? [.. _store.Live("Subscription").Select(v => (v.Id, JsonNode.Parse(v.Json!)!.AsObject()))]
                : [];
        }
    }

    private void SetStatus(string id, string status, string? error)
    {
        lock (_store.Sync)
        {
            if (_store.Current("Subscription", id) is not { IsDeleted: false } current)
            {
                return;
            }

            var json = JsonNode.Parse(current.Json!)!.AsObject();
            json["status"] = status;
            if (error is null)
            {
                json.Remove("error");
            }
            else
            {
                json["error"] = error;
            }

            using var document = JsonDocument.Parse(json.ToJsonString());
            _store.Write("Subscription", id, document.RootElement.Clone(), "PUT");
        }
    }

    private static string? Status(JsonObject s) => s["status"]?.GetValue<string>();

    private static bool IsRestHook(JsonObject s) => s["channel"]?["type"]?.GetValue<string>() == "rest-hook" && s["channel"]?["endpoint"] is not null;

    private static bool IsBackport(JsonObject s) =>
        s["meta"]?["profile"]?.AsArray().Any(p => p?.GetValue<string>() == BackportProfile) == true;

    private static string? CriteriaType(JsonObject s)
    {
        var criteria = s["criteria"]?.GetValue<string>() ?? "";
        if (criteria.StartsWith(TopicPrefix, StringComparison.Ordinal))
        {
            return criteria[TopicPrefix.Length..];
        }

        var end = criteria.IndexOf('?', StringComparison.Ordinal);
        return end < 0 ? criteria : criteria[..end];
    }
}
