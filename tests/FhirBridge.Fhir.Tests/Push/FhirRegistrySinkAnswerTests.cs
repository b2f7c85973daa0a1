using System.Net;
using System.Text;
using FhirBridge.Fhir.Push;
using FhirBridge.Fhir.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using static FhirBridge.Fhir.Tests.Support.RegistryBundles;

namespace FhirBridge.Fhir.Tests.Push;

/// <summary>
/// Answers a conforming server does not give (the test server's transactions are all or nothing), from a scripted
/// handler in place of the network: only a transaction response with every entry 2xx is an acceptance.
/// </summary>
public sealed class FhirRegistrySinkAnswerTests
{
    private const string TwoIssues = """
        {"resourceType":"OperationOutcome","issue":[
          {"severity":"error","code":"required","diagnostics":"Procedure.code is required","expression":["Bundle.entry[3].resource.code"]},
          {"severity":"warning","code":"code-invalid","details":{"text":"arm 'x' is not in the value set"},"expression":["Bundle.entry[2].resource.assignedArm"]}]}
        """;

    [InProcessFact]
    public async Task SendAsync_400WithSeveralIssues_IsPermanent_WithEveryIssueAndWhereItIs()
    {
        await using var h = await ScriptedAsync(HttpStatusCode.BadRequest, TwoIssues);

        var failure = await h.SendAsync(ChangeSet());

        Assert.Equal(new PushFailure(
            "400 Bad Request: error required: Procedure.code is required [Bundle.entry[3].resource.code]; "
            + "warning code-invalid: arm 'x' is not in the value set [Bundle.entry[2].resource.assignedArm]", Permanent: true), failure);
    }

    [InProcessFact]
    public async Task SendAsync_200WithAnEntryIn422_IsPermanent_WithThatEntrysOutcome()
    {
        var entries = Enumerable.Range(0, 7).Select(i => i == 3
            ? "{\"response\":{\"status\":\"422 Unprocessable Entity\",\"outcome\":" + TwoIssues + "}}"
            : "{\"response\":{\"status\":\"200 OK\"}}");
        await using var h = await ScriptedAsync(HttpStatusCode.OK, "{\"resourceType\":\"Bundle\",\"type\":\"transaction-response\",\"entry\":[" + string.Join(",", entries) + "]}");

        var failure = await h.SendAsync(ChangeSet());

        Assert.NotNull(failure);
        Assert.True(failure.Permanent);
        Assert.StartsWith("200 OK, but entry 3 answered 422 Unprocessable Entity: error required: Procedure.code is required", failure.Message, StringComparison.Ordinal);
    }

    [InProcessFact]
    public async Task SendAsync_200ThatIsNotATransactionResponse_IsTransient()
    {
        await using var h = await ScriptedAsync(HttpStatusCode.OK, "{\"resourceType\":\"Bundle\",\"type\":\"batch-response\",\"entry\":[]}");

        var failure = await h.SendAsync(ChangeSet());

        Assert.Equal(new PushFailure("200 OK, but the answer is not a transaction-response Bundle (application/fhir+json)", Permanent: false), failure);
    }

    [InProcessFact]
    public async Task SendAsync_200WithFewerEntriesThanSent_IsTransient()
    {
        await using var h = await ScriptedAsync(HttpStatusCode.OK, "{\"resourceType\":\"Bundle\",\"type\":\"transaction-response\",\"entry\":[{\"response\":{\"status\":\"201 Created\"}}]}");

        var failure = await h.SendAsync(ChangeSet());

        Assert.Equal(new PushFailure("200 OK, but the transaction-response has 1 entries for the 7 sent", Permanent: false), failure);
    }

    [InProcessFact]
    public async Task SendAsync_RedirectToAnotherOrigin_IsNotFollowed()
    {
        var calls = 0;
        await using var h = await RegistryHarness.StartAsync(null, (_, _) => RegistryHarness.FastHttp, client => client.ConfigurePrimaryHttpMessageHandler(() => new Scripted(_ =>
        {
            calls++;
            var response = new HttpResponseMessage(HttpStatusCode.TemporaryRedirect);
            response.Headers.Location = new Uri("https://elsewhere.example/fhir/");
            return response;
        })));

        var failure = await h.SendAsync(ChangeSet());

        Assert.Equal(1, calls);
        Assert.Equal(new PushFailure("307 Temporary Redirect: a redirect to https://elsewhere.example, not followed; check FhirBridge:Registry:BaseUrl", Permanent: false), failure);
    }

    private static Task<RegistryHarness> ScriptedAsync(HttpStatusCode status, string body) =>
        RegistryHarness.StartAsync(null, (_, _) => RegistryHarness.FastHttp, client => client.ConfigurePrimaryHttpMessageHandler(() => new Scripted(_ =>
            new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/fhir+json") })));

    private sealed class Scripted(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(answer(request));
    }
}
