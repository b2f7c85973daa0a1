using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using FhirBridge.Fhir.Http;
using FhirBridge.Ingest;
using FhirBridge.Storage;
using Microsoft.Extensions.Logging;

namespace FhirBridge.Fhir.Pull;

/// <summary>
/// A FHIR server read by Bulk Data <c>$export</c> (https://hl7.org/fhir/uv/bulkdata/export.html), the way to backfill a
/// hospital's history: a system (or <c>Group/{id}/</c>) kick-off with <c>_type</c> and <c>_since</c>,
/// <c>Prefer: respond-async</c>; the status URL polled honouring <c>Retry-After</c>; the manifest's NDJSON files streamed
/// through <see cref="FhirInputReader.ReadNdjson"/> into the store; its error files logged (one that cannot be read is
/// reported, never fatal). The next run's <c>_since</c> is the manifest's <c>transactionTime</c>, stored (watermark
/// <c>bulk:since</c>) only with the batch that completes the last file. A failed or abandoned export is cancelled on the server (DELETE of the status URL).
/// </summary>
/// <param name="name">The source's name.</param>
/// <param name="baseUrl">The FHIR base URL, with a trailing slash.</param>
/// <param name="clients">The factory holding the source's client (<see cref="FhirSourceHttp.ClientName"/>).</param>
/// <param name="settings">Types, group, polling and download limits.</param>
/// <param name="clock">The clock polling waits on.</param>
/// <param name="logger">Where progress, error files and refusals are logged.</param>
public sealed class BulkExportSource(
    string name, Uri baseUrl, IHttpClientFactory clients, BulkExportSettings settings, TimeProvider clock, ILogger<BulkExportSource> logger) : IPullSource
{
    /// <summary>The store key of the next export's <c>_since</c>.</summary>
    public const string SinceKey = "bulk:since";

    private const int MaxLoggedIssuesPerFile = 50;
    private static readonly TimeSpan CancelTimeout = TimeSpan.FromSeconds(10);

    /// <inheritdoc />
    public string Name => name;

    /// <inheritdoc />
    public async Task<PullSummary> PullAsync(IStateStore store, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var http = clients.CreateClient(FhirSourceHttp.ClientName(name));
        var since = await store.GetWatermarkAsync(name, SinceKey, cancellationToken);
        Uri? status = null;
        try
        {
            status = await KickOffAsync(http, since, cancellationToken);
            var manifest = await PollAsync(http, status, cancellationToken);
            RefuseForeignFiles(manifest);

            var reader = new FhirInputReader();
            await using var batcher = new IngestBatcher(store, name, progress);
            foreach (var file in manifest.Output)
            {
                await IngestFileAsync(http, file, manifest.RequiresAccessToken, reader, batcher, cancellationToken);
            }

            for (var i = 0; i < manifest.Error.Count; i++)
            {
                await LogErrorFileAsync(http, manifest.Error[i], i + 1, manifest.Error.Count, manifest.RequiresAccessToken, cancellationToken);
            }

            // Every file is stored: the next export starts where this one's snapshot was taken.
            await batcher.FlushAsync(new Dictionary<string, string> { [SinceKey] = manifest.TransactionTime }, null, cancellationToken);
            logger.LogInformation("Bulk export of {Source} done: {Files} files, {Errors} error files, next _since {Since}",
                name, manifest.Output.Count, manifest.Error.Count, manifest.TransactionTime);
            await CancelAsync(http, status, "done");
            return batcher.Summary();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            if (status is not null)
            {
                await CancelAsync(http, status, "failed");
            }

            if (e is FhirPullException || (e is OperationCanceledException && cancellationToken.IsCancellationRequested))
            {
                throw;
            }

            var prefix = $"source {name}: ";
            var reason = RestSource.Describe(e);
            throw new FhirPullException($"{prefix}bulk export failed: {(reason.StartsWith(prefix, StringComparison.Ordinal) ? reason[prefix.Length..] : reason)}", e);
        }
    }

    private async Task<Uri> KickOffAsync(HttpClient http, string? since, CancellationToken cancellationToken)
    {
        var types = settings.ResourceTypes.Count > 0 ? settings.ResourceTypes : RestSourceSettings.DefaultResourceTypes;
        var path = settings.GroupId is { } group ? "Group/" + Uri.EscapeDataString(group) + "/$export" : "$export";
        var query = "_type=" + string.Join(',', types.Select(Uri.EscapeDataString));
        if (since is not null)
        {
            query += "&_since=" + Uri.EscapeDataString(since); // '+' of an offset as %2B
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(baseUrl, path + "?" + query));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/fhir+json"));
        request.Headers.Add("Prefer", "respond-async");
        using var response = await http.SendAsync(request, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            throw Fail($"the kick-off answered {(int)response.StatusCode} {response.ReasonPhrase}{OperationOutcomeText.Describe(await response.Content.ReadAsStringAsync(cancellationToken))}");
        }

        // Content-Location is a content header in .NET; some servers send Location instead.
        var location = response.Content.Headers.ContentLocation ?? response.Headers.Location
            ?? throw Fail("the kick-off answered 202 without a Content-Location");
        var status = location.IsAbsoluteUri ? location : new Uri(request.RequestUri!, location);
        if (!Origins.Same(status, baseUrl))
        {
            logger.LogWarning("Refused the bulk export status URL of source {Source}: it points at {Origin}, not the source's origin {BaseOrigin}",
                name, Origins.Of(status), Origins.Of(baseUrl));
            throw Fail($"the kick-off's Content-Location points at another origin ({Origins.Of(status)}); refused");
        }

        logger.LogInformation("Bulk export of {Source} started (since {Since})", name, since ?? "the beginning");
        return status;
    }

    private async Task<Manifest> PollAsync(HttpClient http, Uri status, CancellationToken cancellationToken)
    {
        var deadline = clock.GetUtcNow() + settings.MaxWait;
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, status);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            using var response = await http.SendAsync(request, cancellationToken);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return Manifest.Parse(await response.Content.ReadAsStringAsync(cancellationToken), status)
                    ?? throw Fail("the manifest is not a Bulk Data manifest (no transactionTime or output)");
            }

            if (response.StatusCode != HttpStatusCode.Accepted)
            {
                throw Fail($"the status URL answered {(int)response.StatusCode} {response.ReasonPhrase}{OperationOutcomeText.Describe(await response.Content.ReadAsStringAsync(cancellationToken))}");
            }

            var progress = response.Headers.TryGetValues("X-Progress", out var values) ? string.Join(' ', values) : null;
            var wait = RetryAfter.Of(response, clock) ?? settings.PollInterval;
            wait = wait > settings.MaxPollInterval ? settings.MaxPollInterval : wait;
            logger.LogInformation("Bulk export of {Source} in progress: {Progress}; next poll in {Seconds} s",
                name, progress ?? "(no X-Progress)", wait.TotalSeconds);
            if (clock.GetUtcNow() + wait > deadline)
            {
                throw Fail($"the export did not complete within {settings.MaxWait}");
            }

            await Task.Delay(wait, clock, cancellationToken);
        }
    }

    private void RefuseForeignFiles(Manifest manifest)
    {
        var foreign = manifest.Output.Concat(manifest.Error).Where(f => !Origins.Same(f.Url, baseUrl)).ToList();
        foreach (var file in foreign)
        {
            logger.LogWarning("Refused a bulk export file of source {Source}: it is on {Origin}, not the source's origin {BaseOrigin}",
                name, Origins.Of(file.Url), Origins.Of(baseUrl));
        }

        if (foreign.Count > 0)
        {
            throw Fail($"{foreign.Count} manifest file URL(s) point at another origin ({string.Join(", ", foreign.Select(f => Origins.Of(f.Url)).Distinct())}); refused, nothing downloaded");
        }
    }

    private async Task IngestFileAsync(HttpClient http, ManifestFile file, bool requiresAccessToken, FhirInputReader reader, IngestBatcher batcher, CancellationToken cancellationToken)
    {
        var origin = "$export/" + FileName(file);
        await using var spool = await DownloadAsync(http, file, requiresAccessToken, cancellationToken);
        using var text = new StreamReader(spool, leaveOpen: true);
        foreach (var result in reader.ReadNdjson(text, origin))
        {
            await batcher.AddAsync(result, cancellationToken);
        }
    }

    private async Task LogErrorFileAsync(HttpClient http, ManifestFile file, int position, int count, bool requiresAccessToken, CancellationToken cancellationToken)
    {
        try
        {
            await using var spool = await DownloadAsync(http, file, requiresAccessToken, cancellationToken);
            using var text = new StreamReader(spool, leaveOpen: true);
            var logged = 0;
            while (await text.ReadLineAsync(cancellationToken) is { } line)
            {
                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }

                using var document = ParseOrNull(line);
                foreach (var (severity, code, diagnostics) in document is null ? [] : OperationOutcomeText.Issues(document.RootElement))
                {
                    if (++logged <= MaxLoggedIssuesPerFile)
                    {
                        // Codes and diagnostics only: no expression, no details text, no resource content.
                        logger.LogWarning("Bulk export of {Source} reported in {File}: {Severity} {Code}: {Diagnostics}",
                            name, FileName(file), severity, code, diagnostics ?? "(no diagnostics)");
                    }
                }
            }

            if (logged > MaxLoggedIssuesPerFile)
            {
                logger.LogWarning("Bulk export of {Source} reported {More} more issues in {File}", name, logged - MaxLoggedIssuesPerFile, FileName(file));
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException && !(e is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            // The data files are what the pull is for; an error file that cannot be read, for whatever reason (a timeout
            // after retries, an open circuit, a refusal, a cut-off body), is reported and the pull completes: else every
            // file read so far would be dropped unflushed and _since never advance. Only this pull's cancellation stops it.
            // The file is named by its place in the manifest and its URL path, never by what it holds.
            logger.LogWarning("Could not read bulk export error file {Position} of {Count} ({Path}) of source {Source}: {Error}",
                position, count, file.Url.AbsolutePath, name, RestSource.Describe(e));
        }
    }

    /// <summary>The file, spooled to disk (deleted when disposed): the network is read asynchronously, the reader reads lines from disk.</summary>
    private async Task<FileStream> DownloadAsync(HttpClient http, ManifestFile file, bool requiresAccessToken, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(settings.DownloadTimeout, clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        using var request = new HttpRequestMessage(HttpMethod.Get, file.Url);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/fhir+ndjson"));
        if (!requiresAccessToken)
        {
            request.Options.Set(FhirRequestOptions.WithoutCredentials, true);
        }

        var path = Path.Combine(settings.SpoolDirectory ?? Path.GetTempPath(), "fhirbridge-export-" + Guid.NewGuid().ToString("N") + ".ndjson");
        var spool = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.Asynchronous | FileOptions.DeleteOnClose);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            if (!response.IsSuccessStatusCode)
            {
                throw Fail($"the file {FileName(file)} answered {(int)response.StatusCode} {response.ReasonPhrase}");
            }

            await using (var body = await response.Content.ReadAsStreamAsync(linked.Token))
            {
                await body.CopyToAsync(spool, linked.Token);
            }

            spool.Position = 0;
            return spool;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            await spool.DisposeAsync();
            throw Fail($"the download of {FileName(file)} took longer than {settings.DownloadTimeout}");
        }
        catch
        {
            await spool.DisposeAsync();
            throw;
        }
    }

    private async Task CancelAsync(HttpClient http, Uri status, string why)
    {
        // Tells the server it may drop the job and its files; best effort, never retried (a DELETE is not replayed).
        try
        {
            using var timeout = new CancellationTokenSource(CancelTimeout, clock);
            using var request = new HttpRequestMessage(HttpMethod.Delete, status);
            using var response = await http.SendAsync(request, timeout.Token);
            logger.LogInformation("Deleted the bulk export job of source {Source} ({Why}): {Status}", name, why, (int)response.StatusCode);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            logger.LogWarning("Could not delete the bulk export job of source {Source} ({Why}): {Error}", name, why, RestSource.Describe(e));
        }
    }

    private FhirPullException Fail(string reason) => new($"source {name}: bulk export: {reason}");

    private static string FileName(ManifestFile file) => file.Url.Segments is [.., var last] ? Uri.UnescapeDataString(last) : file.Type;

    private static JsonDocument? ParseOrNull(string line)
    {
        try
        {
            return JsonDocument.Parse(line);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>One file of a manifest.</summary>
    private sealed record ManifestFile(string Type, Uri Url);

    /// <summary>The completed export's manifest (what this source reads of it).</summary>
    private sealed record Manifest(string TransactionTime, bool RequiresAccessToken, IReadOnlyList<ManifestFile> Output, IReadOnlyList<ManifestFile> Error)
    {
        public static Manifest? Parse(string json, Uri status)
        {
            try
            {
                using var document = JsonDocument.Parse(json);
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object
                    || !root.TryGetProperty("transactionTime", out var time) || time.ValueKind != JsonValueKind.String
                    || !root.TryGetProperty("output", out var output) || output.ValueKind != JsonValueKind.Array)
                {
                    return null;
                }

                var requires = root.TryGetProperty("requiresAccessToken", out var r) && r.ValueKind == JsonValueKind.True;
                return new Manifest(time.GetString()!, requires, Files(output, status), root.TryGetProperty("error", out var error) ? Files(error, status) : []);
            }
            catch (JsonException)
            {
                return null;
            }
        }

        private static List<ManifestFile> Files(JsonElement array, Uri status) =>
            array.ValueKind != JsonValueKind.Array
                ? []
                : [.. array.EnumerateArray()
                    .Where(f => f.ValueKind == JsonValueKind.Object && f.TryGetProperty("url", out var u) && u.ValueKind == JsonValueKind.String)
                    .Select(f => new ManifestFile(
                        f.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "?",
                        new Uri(status, f.GetProperty("url").GetString()!)))];
    }
}
