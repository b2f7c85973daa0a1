using FhirBridge.Fhir.Http;
using FhirBridge.Fhir.Push;
using FhirBridge.Fhir.Tests.Support;
using FhirBridge.TestServer;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using static FhirBridge.Fhir.Tests.Support.RegistryBundles;

namespace FhirBridge.Fhir.Tests.Push;

/// <summary>
/// The registry push over FHIR against the in-process test server as the registry, over real loopback HTTP: what is
/// accepted, what stays pending (transient) and what becomes a dead letter (permanent) with the registry's own words.
/// </summary>
public sealed class FhirRegistrySinkTests
{
    [InProcessFact]
    public async Task SendAsync_ChangeSet_IsOneFhirJsonPostThatWritesEveryEntry()
    {
        await using var h = await RegistryHarness.StartAsync();

        var failure = await h.SendAsync(ChangeSet());

        Assert.Null(failure);
        var post = Assert.Single(h.Server.Requests);
        Assert.Equal(("POST", FhirInteraction.Transaction, 200), (post.Method, post.Interaction, post.StatusCode));
        Assert.StartsWith("application/fhir+json", post.ContentType, StringComparison.Ordinal);
        Assert.Equal(h.Server.BaseUrl.AbsolutePath, post.PathAndQuery);
        Assert.All(WrittenTypes, type => Assert.Equal(1, h.Server.ResourceCount(type)));
        Assert.Equal(h.Server.BaseUrl.GetLeftPart(UriPartial.Path), h.Sink.Describe());
    }

    [InProcessFact]
    public async Task SendAsync_SameChangeSetTwice_CreatesNothingNew()
    {
        await using var h = await RegistryHarness.StartAsync();
        Assert.Null(await h.SendAsync(ChangeSet()));

        var again = await h.SendAsync(ChangeSet());

        Assert.Null(again);
        Assert.All(WrittenTypes, type => Assert.Equal(1, h.Server.ResourceCount(type)));
        Assert.All(h.Transactions, t => Assert.Equal(200, t.StatusCode));
    }

    [InProcessFact]
    public async Task SendAsync_500_IsTransientWithTheRegistrysWords_AndTheRetryIsAccepted()
    {
        await using var h = await RegistryHarness.StartAsync();
        h.Server.Faults.Enqueue(Fault.Status(500, "database unavailable"), FhirInteraction.Transaction);

        var first = await h.SendAsync(ChangeSet());
        var retry = await h.SendAsync(ChangeSet());

        Assert.Equal(new PushFailure("500 Internal Server Error: error exception: database unavailable", Permanent: false), first);
        Assert.Null(retry);
        Assert.Equal(2, h.Transactions.Count); // the client's pipeline never replays a POST by itself
        Assert.All(WrittenTypes, type => Assert.Equal(1, h.Server.ResourceCount(type)));
    }

    [InProcessFact]
    public async Task SendAsync_CommittedThenConnectionReset_IsTransient_AndTheResendLeavesOneResourcePerIdentifier()
    {
        await using var h = await RegistryHarness.StartAsync();
        h.Server.Faults.Enqueue(Fault.ConnectionReset(afterProcessing: true), FhirInteraction.Transaction);

        var lost = await h.SendAsync(ChangeSet());
        Assert.All(WrittenTypes, type => Assert.Equal(1, h.Server.ResourceCount(type))); // committed, answer lost
        var resent = await h.SendAsync(ChangeSet());

        Assert.NotNull(lost);
        Assert.False(lost.Permanent);
        Assert.StartsWith("network error: ", lost.Message, StringComparison.Ordinal);
        Assert.Null(resent);
        Assert.All(WrittenTypes, type => Assert.Equal(1, h.Server.ResourceCount(type)));
        Assert.Single(await SearchAsync(h, Conditional("ResearchSubject", SubjectSystem, "s1")));
        Assert.Single(await SearchAsync(h, Conditional("Patient", PseudonymSystem, "abc")));
    }

    [InProcessFact]
    public async Task SendAsync_SlowerThanTheTimeout_IsTransient_WaitsATimeoutBeforeTheResend_WhichIsAccepted()
    {
        await using var h = await RegistryHarness.StartAsync(http: RegistryHarness.FastHttp with { RequestTimeout = TimeSpan.FromMilliseconds(300) });
        h.Server.Faults.Enqueue(Fault.Slow(TimeSpan.FromSeconds(5)), FhirInteraction.Transaction);

        var slow = await h.SendAsync(ChangeSet());
        var resent = await h.SendAsync(ChangeSet());

        // No sooner than one timeout later: the registry may still be applying the first one.
        Assert.Equal(new PushFailure("no answer from the registry within 0.3 s", Permanent: false, Settle: TimeSpan.FromMilliseconds(300)), slow);
        Assert.Null(resent);
        Assert.All(WrittenTypes, type => Assert.Equal(1, h.Server.ResourceCount(type)));
    }

    [InProcessFact]
    public async Task SendAsync_ConditionalUpdateMatchingTwo_Is412Permanent_WithTheRegistrysMessage()
    {
        await using var h = await RegistryHarness.StartAsync();
        using var http = new HttpClient();
        foreach (var id in new[] { "a", "b" })
        {
            var patient = new Patient { Id = id, Identifier = [new Identifier(PseudonymSystem, "abc")] };
            using var content = new StringContent(new FhirJsonSerializer().SerializeToString(patient), System.Text.Encoding.UTF8, "application/fhir+json");
            (await http.PutAsync(new Uri(h.Server.BaseUrl, "Patient/" + id), content)).EnsureSuccessStatusCode();
        }

        var failure = await h.SendAsync(ChangeSet());

        Assert.NotNull(failure);
        Assert.True(failure.Permanent);
        Assert.StartsWith("412 Precondition Failed: error conflict: Entry 1: Conditional update: 2 Patient resources match", failure.Message, StringComparison.Ordinal);
        Assert.Equal(0, h.Server.ResourceCount("ResearchSubject")); // all or nothing
    }

    [InProcessFact]
    public async Task SendAsync_422WithOperationOutcome_IsPermanent_WithTheRegistrysMessage()
    {
        await using var h = await RegistryHarness.StartAsync();
        h.Server.Faults.Enqueue(Fault.Status(422, "Procedure.code: not in the registry's value set"), FhirInteraction.Transaction);

        var failure = await h.SendAsync(ChangeSet());

        Assert.Equal(new PushFailure("422 Unprocessable Entity: error invalid: Procedure.code: not in the registry's value set", Permanent: true), failure);
    }

    [InProcessFact]
    public async Task SendAsync_429WithRetryAfter_IsTransient_AndCarriesTheWait()
    {
        await using var h = await RegistryHarness.StartAsync();
        h.Server.Faults.Enqueue(Fault.TooManyRequests(retryAfterSeconds: 7), FhirInteraction.Transaction);

        var failure = await h.SendAsync(ChangeSet());

        Assert.NotNull(failure);
        Assert.Equal((false, TimeSpan.FromSeconds(7)), (failure.Permanent, failure.RetryAfter));
        Assert.StartsWith("429 Too Many Requests: error throttled", failure.Message, StringComparison.Ordinal);
        Assert.Equal(0, h.Server.ResourceCount("ResearchSubject"));
    }

    [InProcessFact]
    public async Task SendAsync_WrongBearerToken_IsTransient_AndLoggedAsAnErrorWithoutTheToken()
    {
        const string wrong = "wrong-registry-token-7c1e";
        await using var h = await RegistryHarness.StartAsync(
            o => o.Auth = FhirTestAuth.Bearer("right-registry-token"),
            RegistryHarness.FastHttp with { Auth = new FhirSourceAuthSettings { Kind = FhirSourceAuthKind.Bearer, Token = wrong } });

        var failure = await h.SendAsync(ChangeSet());

        Assert.NotNull(failure);
        Assert.False(failure.Permanent); // a bad token is not the change set's fault: no dead letter
        Assert.StartsWith("401 Unauthorized", failure.Message, StringComparison.Ordinal);
        Assert.True(h.Logs.Contains("The registry refused FhirBridge's credentials (401)", Microsoft.Extensions.Logging.LogLevel.Error));
        h.Logs.AssertNeverContains(wrong);
        Assert.DoesNotContain(wrong, failure.Message, StringComparison.Ordinal);
    }

    private static async Task<IReadOnlyList<string>> SearchAsync(RegistryHarness h, string query)
    {
        using var http = new HttpClient();
        var json = await http.GetStringAsync(new Uri(h.Server.BaseUrl, query));
        var bundle = new FhirJsonDeserializer().Deserialize<Bundle>(json);
        return [.. bundle.Entry.Select(e => e.Resource!.Id!)];
    }
}
