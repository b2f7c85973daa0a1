using System.Net;
using System.Net.Http.Headers;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using static FhirBridge.TestServer.Tests.TestServers;

namespace FhirBridge.TestServer.Tests;

/// <summary>Read, vread, update, create, delete and history (https://hl7.org/fhir/R4/http.html).</summary>
public sealed class CrudTests
{
    [Fact]
    public async Task Put_NewResource_Returns201WithVersion1AndLastUpdatedFromClock()
    {
        var clock = new ManualClock(ManualClock.DefaultStart);
        await using var server = await StartAsync(clock);
        using var http = HttpClientFor(server);

        using var response = await PutAsync(http, Patient("p1"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("W/\"1\"", response.Headers.ETag?.ToString());
        Assert.Equal(new Uri(server.BaseUrl, "Patient/p1/_history/1"), response.Headers.Location);
        var stored = await ResourceAsync<Patient>(response);
        Assert.Equal("1", stored.Meta!.VersionId);
        Assert.Equal(ManualClock.DefaultStart, stored.Meta!.LastUpdated);
    }

    [Fact]
    public async Task Put_SameContentTwiceOnFrozenClock_CreatesVersion2WithStrictlyLaterLastUpdated()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        using var first = await PutAsync(http, Patient("p1"));

        using var second = await PutAsync(http, Patient("p1"));

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var v1 = await ResourceAsync<Patient>(first);
        var v2 = await ResourceAsync<Patient>(second);
        Assert.Equal("2", v2.Meta!.VersionId);
        Assert.Equal(v1.Meta!.LastUpdated!.Value.AddMilliseconds(1), v2.Meta!.LastUpdated);
    }

    [Fact]
    public async Task Put_AfterClockMoves_LastUpdatedFollowsClock()
    {
        var clock = new ManualClock(ManualClock.DefaultStart);
        await using var server = await StartAsync(clock);
        using var http = HttpClientFor(server);
        await SeedAsync(http, Patient("p1"));

        clock.Advance(TimeSpan.FromHours(2.5));
        using var response = await PutAsync(http, Patient("p1", "changed"));

        var stored = await ResourceAsync<Patient>(response);
        Assert.Equal(ManualClock.DefaultStart.AddHours(2.5), stored.Meta!.LastUpdated);
        Assert.Equal("2", stored.Meta!.VersionId);
    }

    [Fact]
    public async Task VRead_OldVersion_ReturnsThatVersionsContent()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        await SeedAsync(http, Patient("p1", "first"), Patient("p1", "second"));

        using var v1 = await GetAsync(http, "Patient/p1/_history/1");
        using var current = await GetAsync(http, "Patient/p1");
        using var missing = await GetAsync(http, "Patient/p1/_history/3");

        Assert.Equal("first", (await ResourceAsync<Patient>(v1)).Identifier[0].Value);
        Assert.Equal("second", (await ResourceAsync<Patient>(current)).Identifier[0].Value);
        Assert.Equal("W/\"2\"", current.Headers.ETag?.ToString());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Delete_ThenRead_Returns410AndHistoryKeepsEveryVersion()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        await SeedAsync(http, Patient("p1"));

        using var deleted = await http.DeleteAsync(new Uri("Patient/p1", UriKind.Relative));
        using var read = await GetAsync(http, "Patient/p1");
        using var v1 = await GetAsync(http, "Patient/p1/_history/1");
        var history = await BundleAsync(http, "Patient/p1/_history");
        var search = await BundleAsync(http, "Patient");

        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.Gone, read.StatusCode);
        Assert.Equal(HttpStatusCode.OK, v1.StatusCode);
        Assert.Equal(Bundle.BundleType.History, history.Type);
        Assert.Equal([Bundle.HTTPVerb.DELETE, Bundle.HTTPVerb.PUT], history.Entry.Select(e => e.Request!.Method!.Value));
        Assert.Equal(0, search.Total);
    }

    [Fact]
    public async Task Put_AfterDelete_ResurrectsWithNextVersion()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        await SeedAsync(http, Patient("p1"));
        using var deleted = await http.DeleteAsync(new Uri("Patient/p1", UriKind.Relative));

        using var response = await PutAsync(http, Patient("p1"));

        Assert.Equal("3", (await ResourceAsync<Patient>(response)).Meta!.VersionId);
        Assert.Equal(1, server.ResourceCount("Patient"));
    }

    [Fact]
    public async Task Post_Resource_AssignsIdAndReturnsLocation()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        using var content = Content(Patient("ignored"));

        using var response = await http.PostAsync(new Uri("Patient", UriKind.Relative), content);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await ResourceAsync<Patient>(response);
        Assert.NotEqual("ignored", created.Id);
        Assert.Equal(new Uri(server.BaseUrl, $"Patient/{created.Id}/_history/1"), response.Headers.Location);
    }

    [Fact]
    public async Task Post_IfNoneExistMatchingOne_Returns200WithExisting()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        await SeedAsync(http, Patient("p1", "M1"));
        using var request = new HttpRequestMessage(HttpMethod.Post, "Patient") { Content = Content(Patient("x", "M1")) };
        request.Headers.Add("If-None-Exist", $"identifier={Mrn}|M1");

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("p1", (await ResourceAsync<Patient>(response)).Id);
        Assert.Equal(1, server.ResourceCount("Patient"));
    }

    [Theory]
    [InlineData("return=minimal", 0)]
    [InlineData("return=OperationOutcome", 1)]
    [InlineData("return=representation", 2)]
    public async Task Put_PreferReturn_ShapesTheBody(string prefer, int shape)
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        using var request = new HttpRequestMessage(HttpMethod.Put, "Patient/p1") { Content = Content(Patient("p1")) };
        request.Headers.Add("Prefer", prefer);

        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("W/\"1\"", response.Headers.ETag?.ToString());
        switch (shape)
        {
            case 0:
                Assert.Empty(body);
                break;
            case 1:
                Assert.IsType<OperationOutcome>(Deserializer.DeserializeResource(body));
                break;
            default:
                Assert.Equal("p1", Deserializer.Deserialize<Patient>(body).Id);
                break;
        }
    }

    [Fact]
    public async Task Put_StaleIfMatch_Returns412AndKeepsVersion()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        await SeedAsync(http, Patient("p1"), Patient("p1"));
        using var request = new HttpRequestMessage(HttpMethod.Put, "Patient/p1") { Content = Content(Patient("p1")) };
        request.Headers.IfMatch.Add(new EntityTagHeaderValue("\"1\"", isWeak: true));

        using var response = await http.SendAsync(request);
        using var current = await GetAsync(http, "Patient/p1");

        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
        Assert.Equal("W/\"2\"", current.Headers.ETag?.ToString());
    }

    [Theory]
    [InlineData("{\"resourceType\":\"Patient\",\"id\":\"other\"}", "does not match")]
    [InlineData("{\"resourceType\":\"Patient\",\"active\":true}", "has no id")]
    [InlineData("{\"resourceType\":\"Observation\",\"id\":\"p1\",\"status\":\"final\",\"code\":{\"text\":\"x\"}}", "is a Observation")]
    [InlineData("{\"resourceType\":\"Patient\",\"id\":\"p1\",\"birthDate\":\"yesterday\"}", "does not parse as FHIR R4")]
    [InlineData("{\"resourceType\":\"Patient\",\"id\":\"p1\",", "not valid JSON")]
    public async Task Put_BadBody_Returns400WithOutcome(string body, string diagnostics)
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        using var content = Content(body);

        using var response = await http.PutAsync(new Uri("Patient/p1", UriKind.Relative), content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var outcome = await ResourceAsync<OperationOutcome>(response);
        Assert.Contains(diagnostics, outcome.Issue[0].Diagnostics, StringComparison.Ordinal);
        Assert.Equal(0, server.ResourceCount("Patient"));
    }

    [Theory]
    [InlineData("Foo/1", HttpStatusCode.NotFound)]
    [InlineData("Medication/1", HttpStatusCode.NotFound)]
    [InlineData("Patient/nope", HttpStatusCode.NotFound)]
    public async Task Read_UnknownTypeOrId_Returns404WithOutcome(string path, HttpStatusCode expected)
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);

        using var response = await GetAsync(http, path);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);
        Assert.NotEmpty((await ResourceAsync<OperationOutcome>(response)).Issue);
    }

    [Fact]
    public async Task Read_AcceptXmlOnly_Returns406()
    {
        await using var server = await StartAsync();
        using var http = new HttpClient { BaseAddress = server.BaseUrl };
        http.DefaultRequestHeaders.Accept.ParseAdd("application/fhir+xml");

        using var response = await http.GetAsync(new Uri("metadata", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotAcceptable, response.StatusCode);
    }

    [Fact]
    public async Task FhirClient_UpdateReadAndHistory_SeesVersions()
    {
        var clock = new ManualClock(ManualClock.DefaultStart);
        await using var server = await StartAsync(clock);
        using var http = HttpClientFor(server);
        var client = FhirClientFor(server, http);

        var v1 = await client.UpdateAsync(Patient("p1"));
        clock.Advance(TimeSpan.FromMinutes(1));
        var v2 = await client.UpdateAsync(Patient("p1", "new"));
        var read = await client.ReadAsync<Patient>("Patient/p1");
        var old = await client.ReadAsync<Patient>("Patient/p1/_history/1");

        Assert.Equal("1", v1!.Meta!.VersionId);
        Assert.Equal("2", v2!.Meta!.VersionId);
        Assert.Equal("new", read!.Identifier[0].Value);
        Assert.Equal("MRN-p1", old!.Identifier[0].Value);
        Assert.True(v2.Meta!.LastUpdated > v1.Meta!.LastUpdated);
    }
}
