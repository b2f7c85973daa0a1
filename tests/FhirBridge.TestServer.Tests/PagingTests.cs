using System.Net;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using static FhirBridge.TestServer.Tests.TestServers;

namespace FhirBridge.TestServer.Tests;

/// <summary>Paging through <c>next</c> links over a snapshot of the result set (https://hl7.org/fhir/R4/http.html#paging).</summary>
public sealed class PagingTests
{
    [Fact]
    public async Task Search_MorePagesThanOne_NextLinksStayOnOriginAndCoverAllOnce()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        await SeedAsync(http, Enumerable.Range(1, 23).Select(i => (Resource)Patient($"p{i:00}")).ToArray());

        var ids = new List<string>();
        var pages = 0;
        string? next = "Patient?_count=5";
        while (next is not null)
        {
            var page = await BundleAsync(http, next);
            pages++;
            Assert.Equal(23, page.Total);
            ids.AddRange(page.Entry.Select(Id));
            next = page.NextLink?.ToString();
            if (next is not null)
            {
                Assert.StartsWith(server.BaseUrl.GetLeftPart(UriPartial.Authority) + "/", next, StringComparison.Ordinal);
                Assert.Contains("_getpages=", next, StringComparison.Ordinal);
            }
        }

        Assert.Equal(5, pages);
        Assert.Equal(Enumerable.Range(1, 23).Select(i => $"p{i:00}"), ids);
    }

    [Fact]
    public async Task Search_ResourcesChangedWhilePaging_PagesStayOnTheSnapshot()
    {
        var clock = new ManualClock(ManualClock.DefaultStart);
        await using var server = await StartAsync(clock);
        using var http = HttpClientFor(server);
        var original = Enumerable.Range(1, 20).Select(i => $"p{i:00}").ToArray();
        await SeedAsync(http, original.Select(id => (Resource)Patient(id)).ToArray());

        var first = await BundleAsync(http, "Patient?_count=5&_sort=_lastUpdated");
        var ids = first.Entry.Select(Id).ToList();
        // Meanwhile: updates move resources to the end of the order, one is deleted, two are created.
        clock.Advance(TimeSpan.FromMinutes(1));
        await SeedAsync(http, Patient("p07", "changed"), Patient("p12", "changed"), Patient("p01", "changed"), Patient("new1"), Patient("new2"));
        using (var deleted = await http.DeleteAsync(new Uri("Patient/p15", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        }

        var next = first.NextLink;
        while (next is not null)
        {
            var page = await BundleAsync(http, next.ToString());
            Assert.Equal(20, page.Total);
            ids.AddRange(page.Entry.Select(Id));
            next = page.NextLink;
        }

        Assert.Equal(original, ids);
    }

    [Fact]
    public async Task FhirClient_SearchAndContinue_PagesToTheEnd()
    {
        var clock = new ManualClock(ManualClock.DefaultStart);
        await using var server = await StartAsync(clock);
        using var http = HttpClientFor(server);
        var client = FhirClientFor(server, http);
        await SeedAsync(http, Patient("p1"));
        for (var i = 0; i < 32; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            await SeedAsync(http, Procedure($"op{i:00}", "p1"));
        }

        var seen = new List<string>();
        var bundle = await client.SearchAsync<Procedure>(new SearchParams()
            .Where("_lastUpdated=gt" + ManualClock.DefaultStart.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture))
            .LimitTo(7)
            .OrderBy("_lastUpdated"));
        var pages = 0;
        while (bundle is not null)
        {
            pages++;
            seen.AddRange(bundle.Entry.Select(Id));
            bundle = await client.ContinueAsync(bundle);
        }

        Assert.Equal(5, pages);
        Assert.Equal(Enumerable.Range(0, 32).Select(i => $"op{i:00}"), seen);
    }

    [Fact]
    public async Task SearchPage_UnknownToken_Returns410()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);

        using var response = await GetAsync(http, new Uri(server.BaseUrl, "?_getpages=nope&_getpagesoffset=5&_count=5").ToString());

        Assert.Equal(HttpStatusCode.Gone, response.StatusCode);
    }
}
