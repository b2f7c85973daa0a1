using System.Net;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using static FhirBridge.TestServer.Tests.TestServers;

namespace FhirBridge.TestServer.Tests;

/// <summary>Type search (https://hl7.org/fhir/R4/search.html): the parameters FhirBridge uses.</summary>
public sealed class SearchTests
{
    [Fact]
    public async Task Search_LastUpdatedGtWatermark_ReturnsOnlyLaterChanges()
    {
        var clock = new ManualClock(ManualClock.DefaultStart);
        await using var server = await StartAsync(clock);
        using var http = HttpClientFor(server);
        await SeedAsync(http, Patient("p1"), Procedure("a", "p1"), Procedure("b", "p1"), Procedure("c", "p1"));
        var first = await BundleAsync(http, "Procedure");
        var watermark = first.Entry.Max(e => e.Resource!.Meta!.LastUpdated)!.Value;

        clock.Advance(TimeSpan.FromMinutes(10));
        await SeedAsync(http, Procedure("b", "p1", "revised"), Procedure("d", "p1"));
        var changes = await BundleAsync(http, "Procedure?_lastUpdated=gt" + Uri.EscapeDataString(watermark.ToString("o")));

        Assert.Equal(3, first.Total);
        Assert.Equal(["b", "d"], changes.Entry.Select(Id));
        Assert.Equal(2, changes.Total);
    }

    [Theory]
    [InlineData("gt2025-03-01T10:00:00Z", false)]
    [InlineData("ge2025-03-01T10:00:00Z", true)]
    [InlineData("eq2025-03-01T10:00:00Z", true)]
    [InlineData("2025-03-01T10:00:00Z", true)]
    [InlineData("le2025-03-01T10:00:00Z", true)]
    [InlineData("lt2025-03-01T10:00:00Z", false)]
    [InlineData("gt2025-03-01T10:00:00.499Z", true)]
    [InlineData("gt2025-03-01T10:00:00.500Z", false)]
    [InlineData("lt2025-03-01T18:00:00.501%2B08:00", true)]
    [InlineData("lt2025-03-01T18:00:00.500%2B08:00", false)]
    [InlineData("eq2025-03-01", true)]
    [InlineData("gt2025-03-01", false)]
    [InlineData("ne2025-03", false)]
    [InlineData("gt2025-02-28T00:00:00Z&_lastUpdated=lt2025-03-02", true)]
    public async Task Search_LastUpdatedPrefixes_CompareAsRanges(string value, bool matches)
    {
        // The resource is stamped 10:00:00.500Z; a value stands for the range its precision covers (search.html#date).
        var clock = new ManualClock(new DateTimeOffset(2025, 3, 1, 10, 0, 0, 500, TimeSpan.Zero));
        await using var server = await StartAsync(clock);
        using var http = HttpClientFor(server);
        await SeedAsync(http, Patient("p1"));

        var result = await BundleAsync(http, "Patient?_lastUpdated=" + value);

        Assert.Equal(matches ? 1 : 0, result.Total);
    }

    [Fact]
    public async Task Search_UnencodedPlusInTimeZone_Returns400NamingTheEscape()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);

        using var response = await GetAsync(http, "Patient?_lastUpdated=gt2025-03-01T18:00:00+08:00");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("%2B", (await ResourceAsync<OperationOutcome>(response)).Issue[0].Diagnostics, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("identifier=http://hospital.example/mrn|M1", "p1")]
    [InlineData("identifier=M2", "p2")]
    [InlineData("identifier=http://hospital.example/mrn|", "p1,p2")]
    [InlineData("identifier=|M1", "")]
    [InlineData("identifier=http://other|M1", "")]
    [InlineData("identifier=http://hospital.example/mrn|M1,http://hospital.example/mrn|M2", "p1,p2")]
    [InlineData("_id=p2", "p2")]
    [InlineData("_id=p1,p2&identifier=M2", "p2")]
    public async Task Search_IdentifierAndId_MatchAsTokens(string query, string expected)
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        await SeedAsync(http, Patient("p1", "M1"), Patient("p2", "M2"));

        var result = await BundleAsync(http, "Patient?" + query);

        Assert.Equal(expected, string.Join(',', result.Entry.Select(Id)));
    }

    [Theory]
    [InlineData("patient=p1")]
    [InlineData("patient=Patient/p1")]
    [InlineData("subject=Patient/p1")]
    [InlineData("subject=p1")]
    [InlineData("patient={base}Patient/p1")]
    public async Task Search_PatientOrSubject_MatchesEveryReferenceForm(string query)
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        await SeedAsync(http, Patient("p1"), Patient("p2"), Procedure("a", "p1"), Procedure("b", "p2"), Procedure("c", "p1"));

        var result = await BundleAsync(http, "Procedure?" + query.Replace("{base}", Uri.EscapeDataString(server.BaseUrl.ToString()), StringComparison.Ordinal));

        Assert.Equal(["a", "c"], result.Entry.Select(Id));
    }

    [Fact]
    public async Task Search_DefaultOrder_IsLastUpdatedThenId()
    {
        var clock = new ManualClock(ManualClock.DefaultStart);
        await using var server = await StartAsync(clock);
        using var http = HttpClientFor(server);
        await SeedAsync(http, Patient("z"), Patient("a"), Patient("m"));
        await SeedAsync(http, Patient("z"));

        var ascending = await BundleAsync(http, "Patient");
        var descending = await BundleAsync(http, "Patient?_sort=-_lastUpdated");
        var byId = await BundleAsync(http, "Patient?_sort=_id");

        Assert.Equal(["a", "m", "z"], ascending.Entry.Select(Id));
        Assert.Equal(["z", "m", "a"], descending.Entry.Select(Id));
        Assert.Equal(["a", "m", "z"], byId.Entry.Select(Id));
    }

    [Theory]
    [InlineData("Patient?family=Li")]
    [InlineData("Patient?identifier:missing=true")]
    [InlineData("Patient?_sort=birthdate")]
    [InlineData("Patient?_count=many")]
    [InlineData("Patient?_lastUpdated=ap2025-03-01")]
    [InlineData("Patient?subject=Patient/p1")]
    public async Task Search_UnsupportedParameter_Returns400(string query)
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);

        using var response = await GetAsync(http, query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Search_UnknownParameterWithLenientHandling_IsIgnored()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        await SeedAsync(http, Patient("p1"));
        using var request = new HttpRequestMessage(HttpMethod.Get, "Patient?family=Li");
        request.Headers.Add("Prefer", "handling=lenient");

        using var response = await http.SendAsync(request);

        Assert.Equal(1, (await ResourceAsync<Bundle>(response)).Total);
    }

    [Fact]
    public async Task Search_SummaryCount_ReturnsTotalWithoutEntries()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        await SeedAsync(http, Patient("p1"), Patient("p2"));

        var result = await BundleAsync(http, "Patient?_summary=count");

        Assert.Equal(2, result.Total);
        Assert.Empty(result.Entry);
    }

    [Fact]
    public async Task Search_CountAboveMaximum_IsCapped()
    {
        await using var server = await StartAsync(configure: o =>
        {
            o.DefaultPageSize = 2;
            o.MaxPageSize = 3;
        });
        using var http = HttpClientFor(server);
        await SeedAsync(http, Patient("p1"), Patient("p2"), Patient("p3"), Patient("p4"));

        var defaultPage = await BundleAsync(http, "Patient");
        var capped = await BundleAsync(http, "Patient?_count=100");

        Assert.Equal(2, defaultPage.Entry.Count);
        Assert.Equal(3, capped.Entry.Count);
        Assert.Equal(4, capped.Total);
    }

    [Fact]
    public async Task PostSearch_FormBody_MatchesGet()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        await SeedAsync(http, Patient("p1", "M1"), Patient("p2", "M2"));
        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["identifier"] = "M2" });

        using var response = await http.PostAsync(new Uri("Patient/_search", UriKind.Relative), form);
        var result = await ResourceAsync<Bundle>(response);

        Assert.Equal(["p2"], result.Entry.Select(Id));
        Assert.Equal(new Uri(server.BaseUrl, "Patient?identifier=M2"), new Uri(result.SelfLink!.ToString()));
    }

    [Fact]
    public async Task FhirClient_SearchWithSearchParams_FindsByLastUpdatedAndIdentifier()
    {
        var clock = new ManualClock(ManualClock.DefaultStart);
        await using var server = await StartAsync(clock);
        using var http = HttpClientFor(server);
        var client = FhirClientFor(server, http);
        await SeedAsync(http, Patient("p1"), Procedure("old", "p1"));
        clock.Advance(TimeSpan.FromDays(1));
        await SeedAsync(http, Procedure("new", "p1"));

        var result = await client.SearchAsync<Procedure>(new SearchParams()
            .Where("_lastUpdated=gt" + ManualClock.DefaultStart.AddHours(1).ToString("yyyy-MM-dd'T'HH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture))
            .Where("patient=Patient/p1")
            .OrderBy("_lastUpdated"));

        Assert.Equal(["new"], result!.Entry.Select(Id));
    }
}
