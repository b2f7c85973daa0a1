using FhirBridge.Cli.Configuration;
using FhirBridge.Fhir.Pull;
using FhirBridge.Fhir.Subscriptions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FhirBridge.Cli.Service;

/// <summary>
/// The sources with subscriptions enabled: their secrets (for the notification endpoint) and their
/// <see cref="SubscriptionManager"/>s (for the scheduled keep-alive and the CLI), made from the settings.
/// </summary>
public sealed class SourceSubscriptions
{
    private readonly Dictionary<string, (SubscriptionManager Manager, byte[] Secret)> _sources = new(StringComparer.Ordinal);
    private readonly ILogger<SourceSubscriptions> _logger;

    // What the last keep-alive found per source, for the admin overview (asking the hospital server on every page
    // view would put the admin's refreshes on the hospital's load).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _lastStatus = new(StringComparer.Ordinal);

    /// <summary>Builds the managers of every source with <c>Subscriptions:Enabled</c>.</summary>
    public SourceSubscriptions(IServiceProvider services, IOptions<FhirBridgeOptions> options, ILogger<SourceSubscriptions> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _logger = logger;
        var o = options.Value;
        foreach (var s in o.Sources.Where(s => s.Subscriptions.Enabled && s.Kind == SourceKind.Rest))
        {
            var secret = SubscriptionOptionsValidator.Secret(s.Subscriptions)!;
            var settings = new SubscriptionSettings
            {
                Endpoint = Endpoint(o.PublicBaseUrl!, s.Name),
                Secret = secret,
                ResourceTypes = s.ResourceTypes.Count == 0 ? RestSourceSettings.DefaultResourceTypes : s.ResourceTypes,
            };
            _sources[s.Name] = (FhirSubscriptions.Create(services, s.Name, settings), System.Text.Encoding.UTF8.GetBytes(secret));
        }
    }

    /// <summary>The names of the sources with subscriptions, in settings order.</summary>
    public IEnumerable<string> Sources => _sources.Keys;

    /// <summary>The notification endpoint of a source: <c>{publicBaseUrl}/notifications/{source}</c>.</summary>
    public static Uri Endpoint(string publicBaseUrl, string source)
    {
        ArgumentNullException.ThrowIfNull(publicBaseUrl);
        return new Uri(publicBaseUrl.TrimEnd('/') + "/notifications/" + Uri.EscapeDataString(source));
    }

    /// <summary>The manager of a source, or null when it has no subscriptions.</summary>
    public SubscriptionManager? Manager(string source) => _sources.TryGetValue(source, out var s) ? s.Manager : null;

    /// <summary>The secret of a source as UTF-8 bytes, or null when it has no subscriptions.</summary>
    public ReadOnlySpan<byte> Secret(string source) => _sources.TryGetValue(source, out var s) ? s.Secret : default;

    /// <summary>Whether the source has subscriptions.</summary>
    public bool Has(string source) => _sources.ContainsKey(source);

    /// <summary>What the last keep-alive found for the source (e.g. <c>3 active</c>), in words, with no patient data.</summary>
    public string LastStatus(string source) =>
        !Has(source) ? "not configured" : _lastStatus.TryGetValue(source, out var status) ? status : "not checked yet";

    /// <summary>
    /// Keeps the source's Subscriptions alive (see <see cref="SubscriptionManager.EnsureAsync"/>). A failure is logged,
    /// never thrown: polling goes on without notifications.
    /// </summary>
    public async Task KeepAliveAsync(string source, CancellationToken cancellationToken)
    {
        if (Manager(source) is not { } manager)
        {
            return;
        }

        try
        {
            var states = await manager.EnsureAsync(cancellationToken);
            _lastStatus[source] = states.Count == 0 ? "none kept" : string.Join(", ", states.GroupBy(s => s.Status).Select(g => $"{g.Count()} {g.Key}"));
            _logger.LogInformation("Subscriptions of {Source}: {Count} kept, statuses {Statuses}", source, states.Count,
                string.Join(", ", states.GroupBy(s => s.Status).Select(g => $"{g.Count()} {g.Key}")));
        }
        catch (SubscriptionException e)
        {
            _lastStatus[source] = "failing: " + e.Message;
            _logger.LogError("Subscriptions of source {Source} could not be kept alive (polling continues): {Error}", source, e.Message);
        }
    }
}
