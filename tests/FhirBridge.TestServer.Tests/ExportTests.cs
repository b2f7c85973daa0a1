using System.Net;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using static FhirBridge.TestServer.Tests.TestServers;

namespace FhirBridge.TestServer.Tests;

/// <summary>Bulk Data <c>$export</c> (https://hl7.org/fhir/uv/bulkdata/export.html): kick-off, poll, manifest, files.</summary>
public sealed class ExportTests
{
    [Fact]
    public async Task Export_WithoutPreferRespondAsync_Returns400()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);

        using var response = await GetAsync(http, "$export");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Export_KickoffPollManifestDownload_ServesOneNdjsonFilePerType()
    {
        var clock = new ManualClock(ManualClock.DefaultStart);
        await using var server = await StartAsync(clock, o =>
        {
            o.ExportPendingPolls = 2;
            o.ExportRetryAfter = TimeSpan.FromSeconds(3);
        });
        using var http = HttpClientFor(server);
        await SeedAsync(http, Patient("p1"), Patient("p2"), Procedure("a", "p1"), Procedure("b", "p2"), Procedure("c", "p2"));
        clock.Advance(TimeSpan.FromMinutes(5));

        using var kickoff = await KickoffAsync(http, "$export?_type=Patient,Procedure");
        var status = StatusUrl(kickoff);
        using var poll1 = await http.GetAsync(status);
        using var poll2 = await http.GetAsync(status);
        using var done = await http.GetAsync(status);
        var manifest = await JsonAsync(done);

        Assert.Equal(HttpStatusCode.Accepted, kickoff.StatusCode);
        Assert.Equal(server.Origin.Authority, status.Authority);
        Assert.Equal(HttpStatusCode.Accepted, poll1.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(3), poll1.Headers.RetryAfter?.Delta);
        Assert.Contains("1 of 2", poll1.Headers.GetValues("X-Progress").Single(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Accepted, poll2.StatusCode);
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        Assert.Equal("2025-03-01T08:05:00.000Z", manifest.GetProperty("transactionTime").GetString());
        Assert.Equal(new Uri(server.BaseUrl, "$export?_type=Patient,Procedure"), new Uri(manifest.GetProperty("request").GetString()!));
        Assert.False(manifest.GetProperty("requiresAccessToken").GetBoolean());
        Assert.Empty(manifest.GetProperty("error").EnumerateArray());
        var output = manifest.GetProperty("output").EnumerateArray().ToList();
        Assert.Equal(["Patient:2", "Procedure:3"], output.Select(o => $"{o.GetProperty("type").GetString()}:{o.GetProperty("count").GetInt32()}"));
        foreach (var file in output)
        {
            var url = new Uri(file.GetProperty("url").GetString()!);
            Assert.Equal(server.Origin.Authority, url.Authority);
            var resources = await DownloadAsync(http, url);
            Assert.Equal(file.GetProperty("count").GetInt32(), resources.Count);
            Assert.All(resources, r => Assert.Equal(file.GetProperty("type").GetString(), r.TypeName));
        }
    }

    [Fact]
    public async Task Export_TypeAndSinceTransactionTime_ReturnsOnlyLaterChangesOfThatType()
    {
        var clock = new ManualClock(ManualClock.DefaultStart);
        await using var server = await StartAsync(clock);
        using var http = HttpClientFor(server);
        await SeedAsync(http, Patient("p1"), Procedure("a", "p1"), Procedure("b", "p1"));
        var first = await RunExportAsync(http, "$export?_type=Procedure");
        var since = first.GetProperty("transactionTime").GetString()!;

        clock.Advance(TimeSpan.FromHours(1));
        await SeedAsync(http, Procedure("b", "p1", "revised"), Procedure("c", "p1"), Patient("p1", "changed"));
        var second = await RunExportAsync(http, "$export?_type=Procedure&_since=" + Uri.EscapeDataString(since));

        var output = Assert.Single(second.GetProperty("output").EnumerateArray());
        var resources = await DownloadAsync(http, new Uri(output.GetProperty("url").GetString()!));
        Assert.Equal(["b", "c"], resources.Select(r => r.Id));
    }

    [Fact]
    public async Task Export_Group_ExportsTheMembersAndTheirCompartments()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        var group = new Group
        {
            Id = "cohort",
            Type = Group.GroupType.Person,
            Actual = true,
            Member = [new Group.MemberComponent { Entity = new ResourceReference("Patient/p1") }, new Group.MemberComponent { Entity = new ResourceReference("Patient/p3") }],
        };
        await SeedAsync(http, Patient("p1"), Patient("p2"), Patient("p3"), Procedure("a", "p1"), Procedure("b", "p2"), Procedure("c", "p3"), group);

        var manifest = await RunExportAsync(http, "Group/cohort/$export?_type=Patient,Procedure");

        var ids = new List<string>();
        foreach (var file in manifest.GetProperty("output").EnumerateArray())
        {
            ids.AddRange((await DownloadAsync(http, new Uri(file.GetProperty("url").GetString()!))).Select(r => $"{r.TypeName}/{r.Id}"));
        }

        Assert.Equal(["Patient/p1", "Patient/p3", "Procedure/a", "Procedure/c"], ids);
    }

    [Theory]
    [InlineData("Group/missing/$export", HttpStatusCode.NotFound)]
    [InlineData("$export?_type=Medication", HttpStatusCode.BadRequest)]
    [InlineData("$export?_since=2025-03-01T08:00:00+08:00", HttpStatusCode.BadRequest)]
    [InlineData("$export?_since=2025-03-01", HttpStatusCode.BadRequest)]
    [InlineData("$export?_typeFilter=Procedure%3Fstatus%3Dcompleted", HttpStatusCode.BadRequest)]
    [InlineData("$export?_outputFormat=text/csv", HttpStatusCode.BadRequest)]
    [InlineData("$export?_since=2025-03-01T08:00:00%2B08:00&_outputFormat=application/fhir%2Bndjson", HttpStatusCode.Accepted)]
    public async Task Export_Parameters_AreCheckedAtKickoff(string url, HttpStatusCode expected)
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);

        using var response = await KickoffAsync(http, url);

        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task Export_DeleteStatusUrl_CancelsTheJob()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        using var kickoff = await KickoffAsync(http, "$export");
        var status = StatusUrl(kickoff);

        using var cancel = await http.DeleteAsync(status);
        using var poll = await http.GetAsync(status);

        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, poll.StatusCode);
    }

    [Fact]
    public async Task Export_MoreResourcesThanFileLimit_SplitsIntoSeveralFiles()
    {
        await using var server = await StartAsync(configure: o => o.ExportMaxResourcesPerFile = 2);
        using var http = HttpClientFor(server);
        await SeedAsync(http, Patient("p1"), Patient("p2"), Patient("p3"), Patient("p4"), Patient("p5"));

        var manifest = await RunExportAsync(http, "$export?_type=Patient");

        Assert.Equal([2, 2, 1], manifest.GetProperty("output").EnumerateArray().Select(o => o.GetProperty("count").GetInt32()));
    }

    [Fact]
    public async Task Export_OnBearerServer_ManifestRequiresTokenAndFilesRefuseRequestsWithout()
    {
        await using var server = await StartAsync(configure: o => o.Auth = FhirTestAuth.Bearer("secret"));
        using var http = HttpClientFor(server);
        http.DefaultRequestHeaders.Authorization = BearerHeader("secret");
        await SeedAsync(http, Patient("p1"));

        var manifest = await RunExportAsync(http, "$export?_type=Patient");
        var url = new Uri(manifest.GetProperty("output")[0].GetProperty("url").GetString()!);
        using var anonymous = new HttpClient();
        using var refused = await anonymous.GetAsync(url);

        Assert.True(manifest.GetProperty("requiresAccessToken").GetBoolean());
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Single(await DownloadAsync(http, url));
    }

    internal static async Task<HttpResponseMessage> KickoffAsync(HttpClient http, string relative)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, relative);
        request.Headers.Add("Prefer", "respond-async");
        return await http.SendAsync(request);
    }

    /// <summary>Content-Location: .NET files it under the content headers.</summary>
    internal static Uri StatusUrl(HttpResponseMessage kickoff) => kickoff.Content.Headers.ContentLocation!;

    /// <summary>Kick-off, then poll until 200, returning the manifest.</summary>
    internal static async Task<JsonElement> RunExportAsync(HttpClient http, string relative)
    {
        using var kickoff = await KickoffAsync(http, relative);
        Assert.Equal(HttpStatusCode.Accepted, kickoff.StatusCode);
        var status = StatusUrl(kickoff);
        for (var i = 0; i < 10; i++)
        {
            using var poll = await http.GetAsync(status);
            if (poll.StatusCode == HttpStatusCode.OK)
            {
                return await JsonAsync(poll);
            }

            Assert.Equal(HttpStatusCode.Accepted, poll.StatusCode);
        }

        throw new InvalidOperationException("The export never completed.");
    }

    internal static async Task<List<Resource>> DownloadAsync(HttpClient http, Uri url)
    {
        using var response = await http.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/fhir+ndjson", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => Deserializer.DeserializeResource(line)).ToList();
    }
}
