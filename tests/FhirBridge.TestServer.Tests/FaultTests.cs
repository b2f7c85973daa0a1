using System.Net;
using System.Text.Json;
using Hl7.Fhir.Model;
using static FhirBridge.TestServer.Tests.TestServers;

namespace FhirBridge.TestServer.Tests;

/// <summary>What each injected fault looks like to a client.</summary>
public sealed class FaultTests
{
    [Fact]
    public async Task TooManyRequests_OnSearch_Returns429WithRetryAfterThenRecovers()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        server.Faults.Enqueue(Fault.TooManyRequests(7), FhirInteraction.Search, "Procedure");

        using var read = await GetAsync(http, "Patient");
        using var throttled = await GetAsync(http, "Procedure");
        using var retried = await GetAsync(http, "Procedure");

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal((HttpStatusCode)429, throttled.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), throttled.Headers.RetryAfter?.Delta);
        Assert.Equal(OperationOutcome.IssueType.Throttled, (await ResourceAsync<OperationOutcome>(throttled)).Issue[0].Code);
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
    }

    [Fact]
    public async Task ServiceUnavailable_BurstOfThree_Returns503ThreeTimesThenSucceeds()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        var rule = server.Faults.Enqueue(Fault.ServiceUnavailable(retryAfterSeconds: 2), times: 3);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await GetAsync(http, "Patient");
            statuses.Add(response.StatusCode);
        }

        Assert.Equal([HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK], statuses);
        Assert.Equal(3, rule.Fired);
        Assert.True(rule.IsExhausted);
        Assert.Empty(server.Faults.Pending);
    }

    [Fact]
    public async Task ConnectionReset_OnRead_ClientGetsHttpRequestException()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        await SeedAsync(http, Patient("p1"));
        server.Faults.Enqueue(Fault.ConnectionReset(), FhirInteraction.Read);

        await Assert.ThrowsAsync<HttpRequestException>(() => GetAsync(http, "Patient/p1"));
        using var after = await GetAsync(http, "Patient/p1");

        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        var reset = Assert.Single(server.Requests, r => r.Fault == FaultKind.ConnectionReset);
        Assert.Equal(0, reset.StatusCode);
    }

    [Fact]
    public async Task ConnectionResetAfterProcessing_OnTransaction_CommitsButNeverAnswers()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        server.Faults.Enqueue(Fault.ConnectionReset(afterProcessing: true), FhirInteraction.Transaction);
        var bundle = new Hl7.Fhir.Rest.TransactionBuilder(server.BaseUrl, Bundle.BundleType.Transaction).Update("p1", Patient("p1")).ToBundle();

        using var content = Content(bundle);
        await Assert.ThrowsAsync<HttpRequestException>(() => http.PostAsync(server.BaseUrl, content));

        Assert.Equal(1, server.ResourceCount("Patient"));
    }

    [Fact]
    public async Task Slow_LongerThanClientTimeout_ClientTimesOutAndServerCarriesOn()
    {
        await using var server = await StartAsync();
        using var impatient = HttpClientFor(server, TimeSpan.FromMilliseconds(300));
        server.Faults.Enqueue(Fault.Slow(TimeSpan.FromSeconds(20)), FhirInteraction.Search);
        var started = DateTime.UtcNow;

        await Assert.ThrowsAsync<TaskCanceledException>(() => GetAsync(impatient, "Patient"));
        using var next = await GetAsync(impatient, "Patient");

        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Slow_ShorterThanClientTimeout_AnswersNormallyLate()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        server.Faults.Enqueue(Fault.Slow(TimeSpan.FromMilliseconds(200)));
        var started = DateTime.UtcNow;

        using var response = await GetAsync(http, "Patient");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(190));
    }

    [Fact]
    public async Task MalformedJson_OnSearch_Returns200WithTruncatedBody()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        await SeedAsync(http, Patient("p1"));
        server.Faults.Enqueue(Fault.MalformedJson(), FhirInteraction.Search);

        using var response = await GetAsync(http, "Patient");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("{\"resourceType\":\"Bundle\"", body, StringComparison.Ordinal);
        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(body));
    }

    [Fact]
    public async Task MalformedJson_SeenByFhirClient_Throws()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        await SeedAsync(http, Patient("p1"));
        server.Faults.Enqueue(Fault.MalformedJson(), FhirInteraction.Read);

        await Assert.ThrowsAnyAsync<Exception>(() => FhirClientFor(server, http).ReadAsync<Patient>("Patient/p1"));
    }

    [Fact]
    public async Task ForeignNextLink_OnSearch_PointsToTheForeignListenerWhichLogsWhoFollowed()
    {
        await using var server = await StartAsync(configure: o => o.Auth = FhirTestAuth.Bearer("secret"));
        using var http = HttpClientFor(server);
        http.DefaultRequestHeaders.Authorization = BearerHeader("secret");
        await SeedAsync(http, Patient("p1"), Patient("p2"), Patient("p3"));
        server.Faults.Enqueue(Fault.ForeignNextLink(), FhirInteraction.Search);

        var first = await BundleAsync(http, "Patient?_count=2");
        var next = new Uri(first.NextLink!.ToString());
        var followed = await BundleAsync(http, next.ToString());

        Assert.Equal(server.ForeignOrigin.Authority, next.Authority);
        Assert.NotEqual(server.Origin.Host + server.Origin.Port, next.Host + next.Port);
        Assert.Equal(["p3"], followed.Entry.Select(Id));
        var leak = Assert.Single(server.Requests, r => r.IsForeignHost);
        Assert.True(leak.HasAuthorization);
        Assert.Equal("Bearer", leak.AuthorizationScheme);
    }

    [Fact]
    public async Task ForeignNextLink_WithGivenOrigin_UsesItOnTheSecondPage()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        await SeedAsync(http, Patient("p1"), Patient("p2"), Patient("p3"));
        server.Faults.Enqueue(Fault.ForeignNextLink(new Uri("http://evil.example/")), FhirInteraction.SearchPage, "Patient");

        var first = await BundleAsync(http, "Patient?_count=1");
        var second = await BundleAsync(http, first.NextLink!.ToString());

        Assert.Equal(server.Origin.Authority, first.NextLink.Authority);
        Assert.Equal("evil.example", second.NextLink!.Host);
        Assert.Contains("_getpages=", second.NextLink.Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ForeignLocation_OnExportKickoff_ContentLocationIsOnAnotherHost()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        server.Faults.Enqueue(Fault.ForeignLocation(new Uri("http://evil.example/")), FhirInteraction.ExportKickoff);

        using var kickoff = await ExportTests.KickoffAsync(http, "$export");

        Assert.Equal(HttpStatusCode.Accepted, kickoff.StatusCode);
        Assert.Equal("evil.example", ExportTests.StatusUrl(kickoff).Host);
    }

    [Fact]
    public async Task ForeignManifestUrl_OnExport_FileUrlsAreOnAnotherHost()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        await SeedAsync(http, Patient("p1"));
        server.Faults.Enqueue(Fault.ForeignManifestUrl());

        var manifest = await ExportTests.RunExportAsync(http, "$export");
        var url = new Uri(manifest.GetProperty("output")[0].GetProperty("url").GetString()!);

        Assert.Equal(server.ForeignOrigin.Authority, url.Authority);
        Assert.Equal(server.Origin.Authority, new Uri(manifest.GetProperty("request").GetString()!).Authority);
    }

    [Fact]
    public async Task ExportErrorFile_OnExport_ManifestListsAnOperationOutcomeFile()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        await SeedAsync(http, Patient("p1"));
        server.Faults.Enqueue(Fault.ExportErrorFile("Procedure/x could not be exported"));

        var manifest = await ExportTests.RunExportAsync(http, "$export");
        var error = Assert.Single(manifest.GetProperty("error").EnumerateArray());
        var outcomes = await ExportTests.DownloadAsync(http, new Uri(error.GetProperty("url").GetString()!));

        Assert.Equal("OperationOutcome", error.GetProperty("type").GetString());
        var outcome = Assert.IsType<OperationOutcome>(Assert.Single(outcomes));
        Assert.Equal("Procedure/x could not be exported", outcome.Issue[0].Diagnostics);
        Assert.Single(manifest.GetProperty("output").EnumerateArray());
    }

    [Fact]
    public async Task Unauthorized_Once_Returns401WithChallengeThenServes()
    {
        await using var server = await StartAsync(configure: o => o.Auth = FhirTestAuth.SmartBackend);
        using var http = HttpClientFor(server);
        http.DefaultRequestHeaders.Authorization = BearerHeader(server.IssueAccessToken());
        server.Faults.Enqueue(Fault.Unauthorized());

        using var refused = await GetAsync(http, "Patient");
        using var served = await GetAsync(http, "Patient");

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("error=\"invalid_token\"", refused.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    [Theory]
    [InlineData(412)]
    [InlineData(500)]
    public async Task Status_OnTransaction_ReturnsOutcomeAndCommitsNothing(int status)
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        server.Faults.Enqueue(Fault.Status(status, "registry says no"), FhirInteraction.Transaction);
        var bundle = new Hl7.Fhir.Rest.TransactionBuilder(server.BaseUrl, Bundle.BundleType.Transaction).Update("p1", Patient("p1")).ToBundle();

        using var content = Content(bundle);
        using var response = await http.PostAsync(server.BaseUrl, content);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("registry says no", (await ResourceAsync<OperationOutcome>(response)).Issue[0].Diagnostics);
        Assert.Equal(0, server.ResourceCount("Patient"));
    }

    [Fact]
    public async Task SlowAfterProcessing_OnTransaction_CommitsBeforeTheClientTimesOut()
    {
        await using var server = await StartAsync();
        using var impatient = HttpClientFor(server, TimeSpan.FromMilliseconds(500));
        server.Faults.Enqueue(Fault.Slow(TimeSpan.FromSeconds(20), afterProcessing: true), FhirInteraction.Transaction);
        var bundle = new Hl7.Fhir.Rest.TransactionBuilder(server.BaseUrl, Bundle.BundleType.Transaction).Update("p1", Patient("p1")).ToBundle();

        using var content = Content(bundle);
        await Assert.ThrowsAsync<TaskCanceledException>(() => impatient.PostAsync(server.BaseUrl, content));

        Assert.Equal(1, server.ResourceCount("Patient"));
    }

    [Fact]
    public async Task SlowAfterProcessing_ShorterThanTheTimeout_AnswersTheCommittedResultLate()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        server.Faults.Enqueue(Fault.Slow(TimeSpan.FromMilliseconds(200), afterProcessing: true), FhirInteraction.Transaction);
        var bundle = new Hl7.Fhir.Rest.TransactionBuilder(server.BaseUrl, Bundle.BundleType.Transaction).Update("p1", Patient("p1")).ToBundle();

        using var content = Content(bundle);
        using var response = await http.PostAsync(server.BaseUrl, content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("transaction-response", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Requests_Log_KeepsTheBodyTheClientSent()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        var bundle = new Hl7.Fhir.Rest.TransactionBuilder(server.BaseUrl, Bundle.BundleType.Transaction).Update("p1", Patient("p1")).ToBundle();
        using var content = Content(bundle);
        var sent = await content.ReadAsByteArrayAsync();

        using var response = await http.PostAsync(server.BaseUrl, content);
        using var read = await GetAsync(http, "Patient");

        Assert.Equal(sent, Assert.Single(server.Requests, r => r.Interaction == FhirInteraction.Transaction).Body);
        Assert.Null(Assert.Single(server.Requests, r => r.Interaction == FhirInteraction.Search).Body);
    }

    [Fact]
    public async Task StatusAfterProcessing_OnTransaction_CommitsThenAnswers500()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        server.Faults.Enqueue(Fault.Status(500, afterProcessing: true), FhirInteraction.Transaction);
        var bundle = new Hl7.Fhir.Rest.TransactionBuilder(server.BaseUrl, Bundle.BundleType.Transaction).Update("p1", Patient("p1")).ToBundle();

        using var content = Content(bundle);
        using var response = await http.PostAsync(server.BaseUrl, content);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Null(response.Headers.ETag);
        Assert.Equal(1, server.ResourceCount("Patient"));
    }

    [Fact]
    public async Task Skip_FaultOnThirdPage_HitsOnlyThatPage()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        await SeedAsync(http, Patient("p1"), Patient("p2"), Patient("p3"), Patient("p4"));
        server.Faults.Enqueue(Fault.ServiceUnavailable(), FhirInteraction.SearchPage, "Patient", skip: 1);

        var page1 = await BundleAsync(http, "Patient?_count=1");
        var page2 = await BundleAsync(http, page1.NextLink!.ToString());
        using var page3 = await GetAsync(http, page2.NextLink!.ToString());
        var retry = await BundleAsync(http, page2.NextLink!.ToString());

        Assert.Equal(HttpStatusCode.ServiceUnavailable, page3.StatusCode);
        Assert.Equal(["p3"], retry.Entry.Select(Id));
    }

    [Fact]
    public async Task Faults_OnTokenEndpoint_HitTokenRequests()
    {
        await using var server = await StartAsync(configure: o => o.Auth = FhirTestAuth.SmartBackend);
        using var http = HttpClientFor(server);
        server.Faults.Enqueue(Fault.ServiceUnavailable(1), FhirInteraction.Token);

        using var form = ClientAssertion.TokenRequest("x.y.z");
        using var response = await http.PostAsync(server.TokenUrl, form);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
    }

    [Fact]
    public async Task Requests_Log_RecordsMethodPathInteractionAuthAndFault()
    {
        await using var server = await StartAsync(configure: o => o.Auth = FhirTestAuth.Basic("u", "p"));
        using var http = HttpClientFor(server);
        server.Faults.Enqueue(Fault.TooManyRequests(), FhirInteraction.Search);

        using (await GetAsync(http, "Patient?_count=3"))
        {
        }

        http.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String("u:p"u8.ToArray()));
        using (await GetAsync(http, "Patient?_count=3"))
        {
        }

        var log = server.Requests;
        Assert.Equal(2, log.Count);
        Assert.All(log, r => Assert.Equal("/fhir/Patient?_count=3", r.PathAndQuery));
        Assert.All(log, r => Assert.Equal(FhirInteraction.Search, r.Interaction));
        Assert.Equal([false, true], log.Select(r => r.HasAuthorization));
        Assert.Equal([429, 200], log.Select(r => r.StatusCode));
        Assert.Equal([FaultKind.TooManyRequests, (FaultKind?)null], log.Select(r => r.Fault));
        Assert.Equal("Basic", log[1].AuthorizationScheme);
        Assert.Equal("Patient", log[1].ResourceType);

        server.ClearRequests();
        Assert.Empty(server.Requests);
    }
}
