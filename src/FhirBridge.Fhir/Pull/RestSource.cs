using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using FhirBridge.Fhir.Http;
using FhirBridge.Ingest;
using FhirBridge.Storage;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.Logging;
using Task = System.Threading.Tasks.Task;

namespace FhirBridge.Fhir.Pull;

/// <summary>
/// A FHIR server read by search (https://hl7.org/fhir/R4/search.html), one resource type after another:
/// <c>GET {base}{Type}?_lastUpdated=ge{watermark - overlap}&amp;_count={PageSize}&amp;_sort=_lastUpdated</c>, following
/// <c>next</c> links to the end. Every entry goes through <see cref="FhirInputReader.ReadJson"/> (quarantine and versions
/// as for files) into the store. The type's watermark (<c>rest:{Type}</c>, the highest <c>meta.lastUpdated</c> seen)
/// advances only with the batch that completes the whole search, so a crash mid-pull repeats work but never skips it.
/// A server that pages by offset over the live result (not over a snapshot, as HAPI does) lets a resource updated
/// mid-search move to the end and push the one at the next page boundary out of every page; when a resource is seen
/// again in another version, the watermark is held at the earliest <c>meta.lastUpdated</c> at which such a resource
/// was first seen, so the next search reads that stretch again. A resource deleted or moved out of the result set
/// mid-search shifts a page boundary the same way, undetected.
/// </summary>
/// <param name="name">The source's name.</param>
/// <param name="baseUrl">The FHIR base URL, with a trailing slash.</param>
/// <param name="clients">The factory holding the source's client (<see cref="FhirSourceHttp.ClientName"/>).</param>
/// <param name="settings">Types, page size, overlap.</param>
/// <param name="logger">Where progress and refusals are logged.</param>
public sealed class RestSource(string name, Uri baseUrl, IHttpClientFactory clients, RestSourceSettings settings, ILogger<RestSource> logger) : IPullSource
{
    private static readonly FhirJsonDeserializer PageDeserializer = new(new DeserializerSettings().UsingMode(DeserializationMode.Recoverable));

    /// <inheritdoc />
    public string Name => name;

    /// <summary>The store key of a type's watermark.</summary>
    public static string WatermarkKey(string resourceType) => "rest:" + resourceType;

    /// <inheritdoc />
    public async Task<PullSummary> PullAsync(IStateStore store, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var http = clients.CreateClient(FhirSourceHttp.ClientName(name));
        var reader = new FhirInputReader();
        await using var batcher = new IngestBatcher(store, name, progress);
        var types = settings.ResourceTypes.Count > 0 ? settings.ResourceTypes : RestSourceSettings.DefaultResourceTypes;
        foreach (var type in types)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await PullTypeAsync(http, reader, batcher, store, type, cancellationToken);
        }

        return batcher.Summary();
    }

    private async Task PullTypeAsync(HttpClient http, FhirInputReader reader, IngestBatcher batcher, IStateStore store, string type, CancellationToken cancellationToken)
    {
        var key = WatermarkKey(type);
        var search = new SearchProgress(ParseInstant(await store.GetWatermarkAsync(name, key, cancellationToken)));
        var url = SearchUrl(type, search.Highest);
        while (url is not null)
        {
            search.Pages++;
            var (bundle, json) = await FetchPageAsync(http, url, type, search.Pages, cancellationToken);
            using (var document = JsonDocument.Parse(json))
            {
                if (document.RootElement.TryGetProperty("entry", out var entries) && entries.ValueKind == JsonValueKind.Array)
                {
                    await IngestEntriesAsync(entries, type, search, reader, batcher, cancellationToken);
                }
            }

            url = NextUrl(bundle, url, type, search.Pages);
        }

        // The search is complete: its watermark is stored with its last resources, in one transaction.
        var watermark = search.Watermark?.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
        await batcher.FlushAsync(watermark is null ? null : new Dictionary<string, string> { [key] = watermark }, null, cancellationToken);
        if (search.Moved > 0)
        {
            logger.LogInformation(
                "{Moved} {ResourceType} of {Source} changed while the search was paged (seen in two versions): on a server that pages by offset, "
                + "others may have been pushed past a page boundary, so the watermark is held at {Watermark} (highest seen {Highest}) and the next search reads from there again",
                search.Moved, type, name, watermark ?? "none", search.Highest?.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture) ?? "none");
        }

        logger.LogInformation("Searched {ResourceType} of {Source}: {Entries} entries on {Pages} pages ({Duplicates} repeated), watermark {Watermark}",
            type, name, search.Entries, search.Pages, search.Duplicates, watermark ?? "none");
    }

    private static async Task IngestEntriesAsync(
        JsonElement entries, string type, SearchProgress search, FhirInputReader reader, IngestBatcher batcher, CancellationToken cancellationToken)
    {
        var index = -1;
        foreach (var entry in entries.EnumerateArray())
        {
            index++;
            if (!entry.TryGetProperty("resource", out var resource) || IsOutcome(entry))
            {
                continue; // an OperationOutcome about the search, or an entry without a resource
            }

            search.Entries++;
            var origin = string.Create(CultureInfo.InvariantCulture, $"{type}?page={search.Pages}#entry[{index}]");
            foreach (var result in reader.ReadJson(resource.GetRawText(), origin))
            {
                if (result.IsQuarantined || search.IsNew(result))
                {
                    await batcher.AddAsync(result, cancellationToken);
                }
            }
        }
    }

    private Uri SearchUrl(string type, DateTimeOffset? watermark)
    {
        var query = string.Create(CultureInfo.InvariantCulture, $"_count={settings.PageSize}&_sort=_lastUpdated");
        if (watermark is { } w)
        {
            // Millisecond precision, rounded down: the range only widens. EscapeDataString sends '+' as %2B (a raw '+'
            // in a query is a space) and ':' as %3A.
            var from = (w - settings.Overlap).ToUniversalTime();
            from = from.AddTicks(-(from.Ticks % TimeSpan.TicksPerMillisecond));
            query = "_lastUpdated=ge" + Uri.EscapeDataString(from.ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture)) + "&" + query;
        }

        return new Uri(baseUrl, Uri.EscapeDataString(type) + "?" + query);
    }

    private async Task<(Bundle Bundle, string Json)> FetchPageAsync(HttpClient http, Uri url, string type, int page, CancellationToken cancellationToken)
    {
        string json;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/fhir+json"));
            using var response = await http.SendAsync(request, cancellationToken);
            json = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw Fail(type, page, $"the server answered {(int)response.StatusCode} {response.ReasonPhrase}{OperationOutcomeText.Describe(json)}");
            }
        }
        catch (Exception e) when (e is not FhirPullException && !(e is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            throw Fail(type, page, Describe(e), e);
        }

        Resource? parsed;
        try
        {
            // Recoverable: an entry the SDK cannot fully read still leaves the page a Bundle; that entry is quarantined
            // by the reader below, on its own.
            PageDeserializer.TryDeserializeResource(json, out parsed, out _);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw Fail(type, page, $"the page could not be read as a FHIR Bundle ({e.GetType().Name})", e);
        }

        return parsed is Bundle bundle
            ? (bundle, json)
            : throw Fail(type, page, $"the page is not a Bundle but {(parsed is null ? "unreadable" : "a " + parsed.TypeName)}");
    }

    private Uri? NextUrl(Bundle bundle, Uri current, string type, int page)
    {
        if (bundle.NextLink is not { } link)
        {
            return null;
        }

        var next = link.IsAbsoluteUri ? link : new Uri(current, link);
        if (Origins.Same(next, baseUrl))
        {
            return next;
        }

        logger.LogWarning("Refused the next link of {ResourceType} page {Page} of source {Source}: it points at {Origin}, not the source's origin {BaseOrigin}",
            type, page, name, Origins.Of(next), Origins.Of(baseUrl));
        throw Fail(type, page, $"its next link points at another origin ({Origins.Of(next)}); refused, so the search stops and its watermark stays");
    }

    private FhirPullException Fail(string type, int page, string reason, Exception? cause = null)
    {
        // Auth and refusal messages start with the source's name already.
        var prefix = $"source {name}: ";
        reason = reason.StartsWith(prefix, StringComparison.Ordinal) ? reason[prefix.Length..] : reason;
        var message = string.Create(CultureInfo.InvariantCulture, $"{prefix}{type} search, page {page}: {reason}");
        return cause is null ? new FhirPullException(message) : new FhirPullException(message, cause);
    }

    internal static string Describe(Exception e) => e switch
    {
        Polly.Timeout.TimeoutRejectedException => "timed out, also after retries",
        Polly.CircuitBreaker.BrokenCircuitException => "the source's circuit is open after repeated failures; the pull waits for it to close",
        MalformedResponseException => e.Message + ", also after retries",
        HttpRequestException { InnerException: { } inner } => $"{e.Message} ({inner.Message})",
        _ => e.Message,
    };

    private static bool IsOutcome(JsonElement entry) =>
        entry.TryGetProperty("search", out var search) && search.ValueKind == JsonValueKind.Object
        && search.TryGetProperty("mode", out var mode) && mode.ValueKind == JsonValueKind.String && mode.GetString() == "outcome";

    private static DateTimeOffset? ParseInstant(string? text) =>
        text is not null && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var value) ? value : null;

    /// <summary>
    /// One type's search so far: pages, entries, the highest <c>meta.lastUpdated</c>, the versions seen, and the resources
    /// seen in two versions (moved under the search).
    /// </summary>
    private sealed class SearchProgress(DateTimeOffset? watermark)
    {
        private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
        private readonly Dictionary<string, DateTimeOffset?> _firstSeen = new(StringComparer.Ordinal);
        private readonly HashSet<string> _moved = new(StringComparer.Ordinal);
        private readonly DateTimeOffset? _start = watermark;
        private DateTimeOffset? _movedFrom;
        private bool _movedWithoutTime;

        public DateTimeOffset? Highest { get; private set; } = watermark;

        public int Pages { get; set; }

        public int Entries { get; set; }

        public int Duplicates { get; private set; }

        /// <summary>The resources seen in more than one version in this search.</summary>
        public int Moved => _moved.Count;

        /// <summary>
        /// The watermark this search may store: <see cref="Highest"/>, unless a resource was seen again in another version.
        /// On a server that pages by offset over the live result, that resource moved to the end (the search is sorted by
        /// <c>_lastUpdated</c>, ascending) and every later one shifted back a place, so the one at the next page boundary
        /// may never have been returned; it was last updated at or after the moved resource's first-seen
        /// <c>meta.lastUpdated</c>. So the watermark is held there (the overlap still applies) and the next search reads
        /// that stretch again; what is read twice is de-duplicated at ingest. It still advances that far, and never falls
        /// below the watermark this search started from (which, less the overlap, is where the search and every moved
        /// resource started). Not detected: a resource deleted or moved out of the result mid-search shifts a page boundary
        /// the same way. Servers that page over a snapshot (HAPI, the test server) are not affected.
        /// </summary>
        public DateTimeOffset? Watermark
        {
            get
            {
                if (_moved.Count == 0 || Highest is not { } highest)
                {
                    return Highest;
                }

                if (_movedWithoutTime || _movedFrom is not { } from)
                {
                    return _start; // no time to hold at: this search does not advance
                }

                var held = from < highest ? from : highest;
                return _start is { } start && start > held ? start : held;
            }
        }

        /// <summary>
        /// False for a version already seen in this pull (the overlap, or a page boundary that moved under an update);
        /// else records it and raises <see cref="Highest"/>.
        /// </summary>
        public bool IsNew(IngestResult result)
        {
            var resource = $"{result.ResourceType}/{result.Id}";
            var version = result.VersionId ?? result.LastUpdated?.ToString("O", CultureInfo.InvariantCulture);
            if (!_seen.Add($"{resource}/{version}"))
            {
                Duplicates++;
                return false;
            }

            if (!_firstSeen.TryAdd(resource, result.LastUpdated))
            {
                // Another version of a resource this search already returned: the result set moved under the search.
                _moved.Add(resource);
                var first = Earliest(_firstSeen[resource], result.LastUpdated);
                if (first is null)
                {
                    _movedWithoutTime = true;
                }
                else
                {
                    _movedFrom = Earliest(_movedFrom, first);
                }
            }

            if (result.LastUpdated is { } lastUpdated && (Highest is null || lastUpdated > Highest))
            {
                Highest = lastUpdated;
            }

            return true;
        }

        private static DateTimeOffset? Earliest(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null || a <= b ? a : b;
    }
}
