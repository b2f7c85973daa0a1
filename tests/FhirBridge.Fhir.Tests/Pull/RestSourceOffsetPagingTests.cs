using System.Globalization;
using System.Net;
using System.Text;
using FhirBridge.Fhir.Pull;
using FhirBridge.Fhir.Tests.Support;
using FhirBridge.Storage.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FhirBridge.Fhir.Tests.Pull;

/// <summary>
/// RestSource stores as its watermark the highest meta.lastUpdated seen and follows the server's next links. On a
/// server whose next links page by offset over the live result (Medplum's _offset, many facades), a resource updated
/// while the search is being paged moves from an early page to the end: every later resource shifts back one place,
/// so the one at the page boundary is never returned, while the moved resource raises the watermark past it. Were the
/// highest stored, the next search (from that watermark minus 2 s) would miss the skipped resource for good (until it
/// changes again); so a search that returns a resource in two versions holds the watermark where it was first seen.
/// </summary>
public sealed class RestSourceOffsetPagingTests : IAsyncLifetime
{
    private ThrowAwayStore _temp = null!;

    public async Task InitializeAsync() => _temp = await ThrowAwayStore.CreateAsync("fhirbridge-offset-paging-");

    public Task DisposeAsync()
    {
        _temp.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task PullAsync_UpdateDuringOffsetPaging_NoResourceMissedForGood()
    {
        var t0 = new DateTimeOffset(2025, 3, 1, 8, 0, 0, TimeSpan.Zero);
        var server = new OffsetPagingServer();
        server.Put("a", t0.AddMinutes(1));
        server.Put("b", t0.AddMinutes(2));
        server.Put("c", t0.AddMinutes(3));
        server.Put("d", t0.AddMinutes(4));

        // While FhirBridge reads page 1, the hospital updates "a".
        server.AfterFirstPage = () => server.Put("a", t0.AddMinutes(5));

        var source = new RestSource("hospital", new Uri("https://fhir.example/"), new Factory(server),
            new RestSourceSettings { ResourceTypes = ["Procedure"], PageSize = 2 }, NullLogger<RestSource>.Instance);
        await source.PullAsync(_temp.Store, null, default);
        server.AfterFirstPage = null;
        await source.PullAsync(_temp.Store, null, default); // the next scheduled run

        var held = await _temp.Store.GetPatientResourcesAsync("hospital", "p1", default);
        Assert.Equal(["a", "b", "c", "d"], held.Select(r => r.Id).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task PullAsync_UpdateDuringOffsetPaging_HoldsTheWatermarkWhereTheMovedResourceWasFirstSeen()
    {
        var t0 = new DateTimeOffset(2025, 3, 1, 8, 0, 0, TimeSpan.Zero);
        var server = new OffsetPagingServer();
        for (var i = 1; i <= 6; i++)
        {
            server.Put("op" + i.ToString(CultureInfo.InvariantCulture), t0.AddMinutes(i));
        }

        server.AfterFirstPage = () => server.Put("op2", t0.AddMinutes(7));
        var logs = new LogCollector();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs));

        await Source(server, factory.CreateLogger<RestSource>()).PullAsync(_temp.Store, null, default);

        // op2 was first seen at t0+2 min: every resource it could have pushed past a page boundary is at or after it.
        Assert.Equal(t0.AddMinutes(2), await WatermarkAsync());
        Assert.True(logs.Contains("1 Procedure of hospital changed while the search was paged", LogLevel.Information), "the held watermark is not reported");
        Assert.True(logs.Contains("the watermark is held at 2025-03-01T08:02:00.0000000+00:00 (highest seen 2025-03-01T08:07:00.0000000+00:00)"));
    }

    [Fact]
    public async Task PullAsync_HeldWatermark_StillAdvancesAndNeverFallsBack()
    {
        var t0 = new DateTimeOffset(2025, 3, 1, 8, 0, 0, TimeSpan.Zero);
        var server = new OffsetPagingServer();
        for (var i = 1; i <= 6; i++)
        {
            server.Put("op" + i.ToString(CultureInfo.InvariantCulture), t0.AddMinutes(i));
        }

        await Source(server).PullAsync(_temp.Store, null, default);
        Assert.Equal(t0.AddMinutes(6), await WatermarkAsync()); // nothing moved: the highest seen

        // The next search starts 2 s before t0+6 min; what it reads first moves under it, and its first-seen time is
        // before the stored watermark (the overlap): the watermark stays where it was, not 1 s lower.
        server.Put("op7", t0.AddMinutes(6).AddSeconds(-1));
        server.Put("op8", t0.AddMinutes(8));
        server.Put("op9", t0.AddMinutes(9));
        server.AfterFirstPage = () => server.Put("op7", t0.AddMinutes(10));
        await Source(server).PullAsync(_temp.Store, null, default);
        Assert.Equal(t0.AddMinutes(6), await WatermarkAsync());

        // A later update moves op8 mid-search: the watermark advances to where op8 was first seen.
        server.AfterFirstPage = () => server.Put("op8", t0.AddMinutes(11));
        await Source(server).PullAsync(_temp.Store, null, default);
        Assert.Equal(t0.AddMinutes(8), await WatermarkAsync());

        server.AfterFirstPage = null;
        await Source(server).PullAsync(_temp.Store, null, default);
        Assert.Equal(t0.AddMinutes(11), await WatermarkAsync());
        var held = await _temp.Store.GetPatientResourcesAsync("hospital", "p1", default);
        Assert.Equal(9, held.Count);
    }

    private static RestSource Source(OffsetPagingServer server, ILogger<RestSource>? logger = null) =>
        new("hospital", new Uri("https://fhir.example/"), new Factory(server),
            new RestSourceSettings { ResourceTypes = ["Procedure"], PageSize = 2 }, logger ?? NullLogger<RestSource>.Instance);

    private async Task<DateTimeOffset?> WatermarkAsync() =>
        await _temp.Store.GetWatermarkAsync("hospital", RestSource.WatermarkKey("Procedure"), default) is { } text
            ? DateTimeOffset.Parse(text, CultureInfo.InvariantCulture)
            : null;

    private sealed class Factory(HttpMessageHandler handler) : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new(handler, disposeHandler: false);
    }

    /// <summary>_lastUpdated=ge, _sort=_lastUpdated, _count, and next links with _offset over the live data.</summary>
    private sealed class OffsetPagingServer : HttpMessageHandler
    {
        private readonly Dictionary<string, (int Version, DateTimeOffset LastUpdated)> _resources = [];

        public Action? AfterFirstPage { get; set; }

        public void Put(string id, DateTimeOffset lastUpdated) =>
            _resources[id] = (_resources.TryGetValue(id, out var r) ? r.Version + 1 : 1, lastUpdated);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var query = request.RequestUri!.Query.TrimStart('?').Split('&').Select(p => p.Split('=', 2))
                .ToDictionary(p => p[0], p => Uri.UnescapeDataString(p[1]));
            var from = query.TryGetValue("_lastUpdated", out var ge) ? DateTimeOffset.Parse(ge[2..], CultureInfo.InvariantCulture) : DateTimeOffset.MinValue;
            var count = int.Parse(query["_count"], CultureInfo.InvariantCulture);
            var offset = query.TryGetValue("_offset", out var o) ? int.Parse(o, CultureInfo.InvariantCulture) : 0;
            var matches = _resources.Where(r => r.Value.LastUpdated >= from).OrderBy(r => r.Value.LastUpdated).ToList();
            var page = matches.Skip(offset).Take(count).ToList();
            var entries = string.Join(",", page.Select(r =>
                "{\"resource\":{\"resourceType\":\"Procedure\",\"id\":\"" + r.Key + "\",\"meta\":{\"versionId\":\"" + r.Value.Version.ToString(CultureInfo.InvariantCulture)
                + "\",\"lastUpdated\":\"" + r.Value.LastUpdated.ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture)
                + "\"},\"status\":\"completed\",\"code\":{\"text\":\"x\"},\"subject\":{\"reference\":\"Patient/p1\"}}}"));
            var next = offset + count < matches.Count
                ? $$""","link":[{"relation":"next","url":"https://fhir.example/Procedure?{{(ge is null ? "" : "_lastUpdated=" + Uri.EscapeDataString(ge) + "&")}}_count={{count}}&_sort=_lastUpdated&_offset={{offset + count}}"}]"""
                : "";
            var json = $$"""{"resourceType":"Bundle","type":"searchset"{{next}},"entry":[{{entries}}]}""";
            if (offset == 0)
            {
                AfterFirstPage?.Invoke();
            }

            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(json, Encoding.UTF8, "application/fhir+json") });
        }
    }
}
