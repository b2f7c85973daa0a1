using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using FhirBridge.Fhir.Http;
using FhirBridge.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace FhirBridge.Fhir.Push;

/// <summary>
/// The registry's FHIR server: each change set is POSTed as it is, a transaction Bundle
/// (https://hl7.org/fhir/R4/http.html#transaction), to the base URL with <c>Content-Type: application/fhir+json</c>, on
/// the registry's HTTP client (<see cref="FhirRegistryHttpServiceCollectionExtensions.AddFhirRegistryHttp"/>).
/// <para>
/// Accepted only on 200 with a <c>transaction-response</c> Bundle, one entry per entry sent, every entry 2xx. Transient
/// (pending, sent again later): no answer (network error, timeout, open circuit), 408, 429 (with its <c>Retry-After</c>),
/// 5xx, credentials refused (401/403: a bad token is not the change set's fault, so nothing is dead-lettered for it; it
/// is logged as an error), and any answer that is not a transaction response. Permanent (a dead letter, with the
/// registry's own OperationOutcome issues): every other 4xx (400, 404, 409, 412, 422, ...), and a response entry in 4xx.
/// </para>
/// <para>
/// Nothing the registry answers is followed: not a redirect (the client follows none), not an entry's <c>location</c>,
/// whatever its origin, so no request or credential can be led to another host.
/// </para>
/// </summary>
public sealed class FhirRegistrySink : IRegistrySink
{
    private const string FhirJson = "application/fhir+json";
    private readonly FhirSourceEndpoint _endpoint;
    private readonly IHttpClientFactory _clients;
    private readonly TimeProvider _clock;
    private readonly ILogger<FhirRegistrySink> _logger;

    internal FhirRegistrySink(FhirSourceEndpoint endpoint, IHttpClientFactory clients, TimeProvider clock, ILogger<FhirRegistrySink> logger)
    {
        _endpoint = endpoint;
        _clients = clients;
        _clock = clock;
        _logger = logger;
    }

    /// <summary>The sink over the registry registered with <see cref="FhirRegistryHttpServiceCollectionExtensions.AddFhirRegistryHttp"/>.</summary>
    /// <exception cref="InvalidOperationException">The registry's HTTP clients are not registered.</exception>
    public static FhirRegistrySink Create(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var endpoint = FhirHttpClients.Find(services, FhirRegistryHttp.ClientName)
            ?? throw new InvalidOperationException("registry: its HTTP clients are not registered; call AddFhirRegistryHttp(baseUrl, settings) first");
        return new FhirRegistrySink(endpoint, services.GetRequiredService<IHttpClientFactory>(), FhirHttpClients.Clock(services),
            services.GetRequiredService<ILogger<FhirRegistrySink>>());
    }

    /// <inheritdoc />
    public string Describe() => _endpoint.Origin + _endpoint.BaseUrl.AbsolutePath;

    /// <inheritdoc />
    public async Task<PushFailure?> SendAsync(OutboxItem item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        var http = _clients.CreateClient(FhirRegistryHttp.ClientName);

        // The attempt timeout of the client's pipeline ends a silent server before its headers; this ends one that stalls
        // in an error body (read after the pipeline) or in a token request.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_endpoint.Settings.RequestTimeout * 2);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, _endpoint.BaseUrl)
            {
                Content = new StringContent(item.Bundle, Encoding.UTF8, FhirJson),
            };
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(FhirJson));
            request.Headers.TryAddWithoutValidation("Prefer", "return=minimal");
            using var response = await http.SendAsync(request, deadline.Token);
            var body = await response.Content.ReadAsStringAsync(deadline.Token);
            return Judge(item, response, body);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (NoAnswer(e) is { } what)
        {
            // No answer does not mean nothing happened: the registry may have committed the transaction before the
            // connection broke or the timeout fired. Sending it again is safe, because every entry is a conditional
            // upsert (PUT Type?identifier=system|value), a conditional delete or a PUT by id: the second time, each
            // entry finds what the first one wrote and changes nothing.
            if (e is FhirAuthException)
            {
                _logger.LogError("Change set {OutboxId} not sent: FhirBridge could not authenticate to the registry ({Problem}); check FhirBridge:Registry:Auth. It stays pending.",
                    item.Id, what);
            }

            // A timeout, though, may have left the registry still applying the first transaction: a resend that overtook
            // it would find no match for its conditional upserts either, and a registry that does not serialize them
            // would create each record twice. So it is sent again no sooner than one request timeout later: as long as
            // the registry had.
            var settle = e is TimeoutRejectedException or OperationCanceledException ? _endpoint.Settings.RequestTimeout : (TimeSpan?)null;
            return new PushFailure(RegistryOutcome.OneLine(what), Permanent: false, Settle: settle);
        }
    }

    private PushFailure? Judge(OutboxItem item, HttpResponseMessage response, string body)
    {
        var status = (int)response.StatusCode;
        var said = RegistryOutcome.Describe(body);
        var text = RegistryOutcome.OneLine(string.Create(CultureInfo.InvariantCulture, $"{status} {response.ReasonPhrase}") + (said.Length > 0 ? ": " + said : ""));
        switch (status)
        {
            case 200:
                return CheckTransactionResponse(item, response, body);
            case 401 or 403:
                _logger.LogError("The registry refused FhirBridge's credentials ({Status}) for change set {OutboxId}; check FhirBridge:Registry:Auth. It stays pending, not dead-lettered: {Failure}",
                    status, item.Id, text);
                return new PushFailure(text, Permanent: false);
            case 408 or 429 or >= 500:
                return new PushFailure(text, Permanent: false, RetryAfter.ForRetry(response, _clock, TimeSpan.MaxValue));
            case >= 400:
                return new PushFailure(text, Permanent: true);
            case >= 300 and < 400:
                var target = response.Headers.Location is { IsAbsoluteUri: true } location ? " to " + Origins.Of(location) : "";
                return new PushFailure(RegistryOutcome.OneLine($"{text}: a redirect{target}, not followed; check FhirBridge:Registry:BaseUrl"), Permanent: false);
            default:
                return new PushFailure(RegistryOutcome.OneLine($"{text}: expected 200 with a transaction-response Bundle"), Permanent: false);
        }
    }

    /// <summary>A 200 is an acceptance only with a transaction-response Bundle answering every entry with a 2xx.</summary>
    private static PushFailure? CheckTransactionResponse(OutboxItem item, HttpResponseMessage response, string body)
    {
        var sent = EntryCount(item.Bundle);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            return NotATransactionResponse(response);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || Text(root, "resourceType") != "Bundle" || Text(root, "type") != "transaction-response")
            {
                return NotATransactionResponse(response);
            }

            var entries = root.TryGetProperty("entry", out var e) && e.ValueKind == JsonValueKind.Array ? e.EnumerateArray().ToList() : [];
            if (sent is { } count && entries.Count != count)
            {
                return new PushFailure(string.Create(CultureInfo.InvariantCulture, $"200 OK, but the transaction-response has {entries.Count} entries for the {count} sent"), Permanent: false);
            }

            var refused = new List<string>();
            var permanent = true;
            for (var i = 0; i < entries.Count; i++)
            {
                var answer = entries[i].TryGetProperty("response", out var r) ? r : default;
                var statusText = answer.ValueKind == JsonValueKind.Object ? Text(answer, "status") : null;
                var code = statusText is { Length: >= 3 } && int.TryParse(statusText.AsSpan(0, 3), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : 0;
                if (code is >= 200 and < 300)
                {
                    continue;
                }

                permanent &= code is >= 400 and < 500 and not 408 and not 429 and not 401 and not 403;
                var outcome = answer.ValueKind == JsonValueKind.Object && answer.TryGetProperty("outcome", out var o) ? RegistryOutcome.Describe(o) : "";
                refused.Add(string.Create(CultureInfo.InvariantCulture, $"entry {i} answered {statusText ?? "no status"}") + (outcome.Length > 0 ? ": " + outcome : ""));
            }

            return refused.Count == 0 ? null : new PushFailure(RegistryOutcome.OneLine("200 OK, but " + string.Join("; ", refused)), permanent);
        }
    }

    private static PushFailure NotATransactionResponse(HttpResponseMessage response) =>
        new($"200 OK, but the answer is not a transaction-response Bundle ({response.Content.Headers.ContentType?.MediaType ?? "no content type"})", Permanent: false);

    private static int? EntryCount(string bundle)
    {
        try
        {
            using var document = JsonDocument.Parse(bundle);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("entry", out var entries) && entries.ValueKind == JsonValueKind.Array
                ? entries.GetArrayLength()
                : 0;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>What went wrong when no answer came, or null for an exception that is a bug (it propagates).</summary>
    private string? NoAnswer(Exception e) => e switch
    {
        TimeoutRejectedException or OperationCanceledException =>
            string.Create(CultureInfo.InvariantCulture, $"no answer from the registry within {_endpoint.Settings.RequestTimeout.TotalSeconds:0.###} s"),
        BrokenCircuitException => "the registry's circuit is open after repeated failures; not sent",
        MalformedResponseException => "the registry's answer was cut off or is not JSON: " + e.Message,
        FhirAuthException or RefusedRequestException => e.Message,
        HttpRequestException { InnerException: { } inner } => $"network error: {e.Message} ({inner.Message})",
        HttpRequestException or IOException => "network error: " + e.Message,
        _ => null,
    };

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}
