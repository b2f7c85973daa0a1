using System.Diagnostics;
using FhirBridge.Fhir.Http;
using FhirBridge.Fhir.Pull;
using FhirBridge.Fhir.Tests.Support;
using FhirBridge.TestServer;
using static FhirBridge.Fhir.Tests.Support.Fhir;

namespace FhirBridge.Fhir.Tests.Pull;

/// <summary>REST pulls under injected faults (in-process server only): each ends complete, or failed without skipping anything.</summary>
public sealed class RestSourceFaultTests
{
    private static readonly RestSourceSettings ProceduresByTwo = new() { ResourceTypes = ["Patient", "Procedure"], PageSize = 2 };

    [InProcessFact]
    public async Task PullAsync_TooManyRequestsWithRetryAfter_WaitsAndCompletes()
    {
        await using var h = await SeededAsync();
        var rule = h.Server.Faults.Enqueue(Fault.TooManyRequests(retryAfterSeconds: 1), FhirInteraction.Search, "Procedure");

        var clock = Stopwatch.StartNew();
        var summary = await h.Rest(ProceduresByTwo).PullAsync(h.Store, null, default);

        Assert.Equal(1, rule.Fired);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(950), $"retried after {clock.Elapsed}, before Retry-After");
        Assert.Equal(5, summary.ResourcesByType["Procedure"]);
        Assert.Equal([429, 200], h.Requests(FhirInteraction.Search, "Procedure").Select(r => r.StatusCode));
    }

    [InProcessFact]
    public async Task PullAsync_ServiceUnavailableBurst_RetriesAndCompletes()
    {
        await using var h = await SeededAsync();
        var rule = h.Server.Faults.Enqueue(Fault.ServiceUnavailable(), FhirInteraction.SearchPage, times: 3);

        var summary = await h.Rest(ProceduresByTwo).PullAsync(h.Store, null, default);

        Assert.Equal(3, rule.Fired);
        Assert.Equal(5, summary.ResourcesByType["Procedure"]);
        Assert.NotNull(await h.WatermarkAsync(RestSource.WatermarkKey("Procedure")));
    }

    [InProcessFact]
    public async Task PullAsync_SlowPageBeyondTheTimeout_IsRetried()
    {
        await using var h = await SeededAsync(PullHarness.FastHttp with { RequestTimeout = TimeSpan.FromMilliseconds(500) });
        var rule = h.Server.Faults.Enqueue(Fault.Slow(TimeSpan.FromSeconds(10)), FhirInteraction.SearchPage);

        var clock = Stopwatch.StartNew();
        var summary = await h.Rest(ProceduresByTwo).PullAsync(h.Store, null, default);

        Assert.Equal(1, rule.Fired);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}: the slow attempt was not cut off");
        Assert.Equal(5, summary.ResourcesByType["Procedure"]);
        Assert.True(h.Logs.Contains("timed out"));
    }

    [InProcessFact]
    public async Task PullAsync_ConnectionReset_IsRetried()
    {
        await using var h = await SeededAsync();
        var rule = h.Server.Faults.Enqueue(Fault.ConnectionReset(), FhirInteraction.SearchPage, skip: 1);

        var summary = await h.Rest(ProceduresByTwo).PullAsync(h.Store, null, default);

        Assert.Equal(1, rule.Fired);
        Assert.Equal(5, summary.ResourcesByType["Procedure"]);
    }

    [InProcessFact]
    public async Task PullAsync_MalformedPageOnce_IsRetried()
    {
        await using var h = await SeededAsync();
        var rule = h.Server.Faults.Enqueue(Fault.MalformedJson(), FhirInteraction.SearchPage);

        var summary = await h.Rest(ProceduresByTwo).PullAsync(h.Store, null, default);

        Assert.Equal(1, rule.Fired);
        Assert.Equal(5, summary.ResourcesByType["Procedure"]);
    }

    [InProcessFact]
    public async Task PullAsync_MalformedPageThatPersists_FailsNamingSourceAndTypeWithoutAdvancingTheWatermark()
    {
        // Three retries: four attempts at page 2, all cut off.
        await using var h = await SeededAsync();
        var rule = h.Server.Faults.Enqueue(Fault.MalformedJson(), FhirInteraction.SearchPage, times: 4);

        var failure = await Assert.ThrowsAsync<FhirPullException>(() => h.Rest(ProceduresByTwo).PullAsync(h.Store, null, default));

        Assert.Equal(4, rule.Fired);
        Assert.Contains($"source {PullHarness.Source}: Procedure search, page 2", failure.Message, StringComparison.Ordinal);
        Assert.Contains("not well-formed JSON", failure.Message, StringComparison.Ordinal);
        Assert.Null(await h.WatermarkAsync(RestSource.WatermarkKey("Procedure")));
        Assert.NotNull(await h.WatermarkAsync(RestSource.WatermarkKey("Patient"))); // the type before it completed

        var again = await h.Rest(ProceduresByTwo).PullAsync(h.Store, null, default);

        Assert.Equal(5, again.ResourcesByType["Procedure"]);
        Assert.NotNull(await h.WatermarkAsync(RestSource.WatermarkKey("Procedure")));
    }

    [InProcessFact]
    public async Task PullAsync_NextLinkToAnotherHost_IsRefusedAndNeverGetsTheToken()
    {
        const string token = "static-token-7f3a9";
        await using var h = await SeededAsync(
            PullHarness.FastHttp with { Auth = new FhirSourceAuthSettings { Kind = FhirSourceAuthKind.Bearer, Token = token } },
            o => o.Auth = FhirTestAuth.Bearer(token));
        h.Server.Faults.Enqueue(Fault.ForeignNextLink(), FhirInteraction.Search, "Procedure");

        var failure = await Assert.ThrowsAsync<FhirPullException>(() => h.Rest(ProceduresByTwo).PullAsync(h.Store, null, default));

        Assert.Contains("another origin", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(h.Server.Requests, r => r.IsForeignHost); // not even without the token
        Assert.Null(await h.WatermarkAsync(RestSource.WatermarkKey("Procedure")));
        Assert.True(h.Logs.Contains("Refused the next link of Procedure page 1", Microsoft.Extensions.Logging.LogLevel.Warning));
        h.Logs.AssertNeverContains(token);
        Assert.DoesNotContain(token, failure.ToString(), StringComparison.Ordinal);
    }

    [InProcessFact]
    public async Task PullAsync_ServerKeepsFailing_CircuitOpensAndTheNextPullFailsFast()
    {
        await using var h = await SeededAsync(PullHarness.FastHttp with
        {
            MaxRetries = 2,
            CircuitBreakerMinimumThroughput = 3,
            CircuitBreakerFailureRatio = 0.5,
            CircuitBreakerBreakDuration = TimeSpan.FromMinutes(5),
        });
        h.Server.Faults.Enqueue(Fault.ServiceUnavailable(), FhirInteraction.Search, "Procedure", times: int.MaxValue);

        await Assert.ThrowsAsync<FhirPullException>(() => h.Rest(ProceduresByTwo).PullAsync(h.Store, null, default));
        var sent = h.Server.Requests.Count;
        var failure = await Assert.ThrowsAsync<FhirPullException>(() => h.Rest(ProceduresByTwo).PullAsync(h.Store, null, default));

        Assert.Contains("circuit is open", failure.Message, StringComparison.Ordinal);
        Assert.Equal(sent, h.Server.Requests.Count); // refused without reaching the server
        Assert.True(h.Logs.Contains("Circuit of source hospital-a opened"));
    }

    /// <summary>A server with one patient and five Procedures (three pages of two).</summary>
    private static async Task<PullHarness> SeededAsync(FhirSourceHttpSettings? http = null, Action<FhirTestServerOptions>? server = null)
    {
        var h = await PullHarness.StartAsync(server, http);
        var patient = Id("p1");
        await h.SeedAsync([Patient(patient), .. Enumerable.Range(0, 5).Select(i => Procedure(Id("op" + i), patient))]);
        h.Server.ClearRequests();
        return h;
    }
}
