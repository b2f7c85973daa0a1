using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Task = System.Threading.Tasks.Task;

namespace FhirBridge.TestServer;

/// <summary>
/// The FHIR server an integration test runs against: the external server named by the environment variable
/// <c>FHIRBRIDGE_TEST_FHIR_URL</c> (a HAPI, say; no fault injection) or else an in-process <see cref="FhirTestServer"/>.
/// Tests seed it through plain FHIR REST (PUT and transaction Bundles), so the same test runs against either.
/// </summary>
/// <remarks>
/// An external HAPI server needs client-assigned ids allowed (<c>client_id_strategy: ANY</c> for numeric ids) and, if
/// seeded resources reference ones not seeded, referential integrity on write turned off.
/// </remarks>
public sealed class FhirTestTarget : IAsyncDisposable
{
    /// <summary>The environment variable naming an external FHIR base URL.</summary>
    public const string EnvironmentVariable = "FHIRBRIDGE_TEST_FHIR_URL";

    /// <summary>
    /// The environment variable naming an external FHIR base URL that plays the registry: an empty server of its own
    /// (the registry's Patients must not mix with the hospital's).
    /// </summary>
    public const string RegistryEnvironmentVariable = "FHIRBRIDGE_TEST_REGISTRY_URL";

    // Referenced types first, so that a server enforcing referential integrity accepts each batch.
    private static readonly string[] SeedOrder =
    [
        "Organization", "Location", "Practitioner", "PractitionerRole", "Patient", "Group", "Encounter", "Condition",
        "ServiceRequest", "Procedure", "Observation",
    ];

    private static readonly FhirJsonSerializer Serializer = new();
    private static readonly FhirJsonDeserializer Deserializer = new(new DeserializerSettings());
    private readonly HttpClient _http;

    private FhirTestTarget(Uri baseUrl, FhirTestServer? server, HttpClient http)
    {
        BaseUrl = baseUrl;
        Server = server;
        _http = http;
    }

    /// <summary>The FHIR base URL, with a trailing slash.</summary>
    public Uri BaseUrl { get; }

    /// <summary>The in-process server, or null when the target is external.</summary>
    public FhirTestServer? Server { get; }

    /// <summary>Whether faults can be injected (only into the in-process server).</summary>
    public bool SupportsFaults => Server is not null;

    /// <summary>Whether the target is the external server of <see cref="EnvironmentVariable"/>.</summary>
    public bool IsExternal => Server is null;

    /// <summary>The most resources in one seeding transaction. Default: 500.</summary>
    public int SeedBatchSize { get; set; } = 500;

    /// <summary>The external server if <see cref="EnvironmentVariable"/> is set, else a new in-process server.</summary>
    /// <param name="ct">Cancels the start.</param>
    public static Task<FhirTestTarget> CreateAsync(CancellationToken ct = default) => CreateAsync(null, ct);

    /// <summary>
    /// The external server if <see cref="EnvironmentVariable"/> is set (then <paramref name="options"/> is ignored), else
    /// a new in-process server with <paramref name="options"/>. Seeding requests carry the in-process server's credentials.
    /// </summary>
    /// <param name="options">Settings of the in-process server; null for the defaults.</param>
    /// <param name="ct">Cancels the start.</param>
    public static Task<FhirTestTarget> CreateAsync(FhirTestServerOptions? options, CancellationToken ct = default) =>
        CreateAsync(EnvironmentVariable, options, ct);

    /// <summary>The registry: the external server of <see cref="RegistryEnvironmentVariable"/> if set, else a new in-process server.</summary>
    /// <param name="options">Settings of the in-process server; null for the defaults.</param>
    /// <param name="ct">Cancels the start.</param>
    public static Task<FhirTestTarget> CreateRegistryAsync(FhirTestServerOptions? options = null, CancellationToken ct = default) =>
        CreateAsync(RegistryEnvironmentVariable, options, ct);

    private static async Task<FhirTestTarget> CreateAsync(string environmentVariable, FhirTestServerOptions? options, CancellationToken ct)
    {
        var external = Environment.GetEnvironmentVariable(environmentVariable);
        if (!string.IsNullOrWhiteSpace(external))
        {
            var url = external.Trim();
            return new FhirTestTarget(new Uri(url.EndsWith('/') ? url : url + "/"), null, new HttpClient());
        }

        return await StartInProcessAsync(options, ct);
    }

    /// <summary>
    /// Always a new in-process server, whatever the environment says: for a reference that a test compares the
    /// (possibly external) target with, such as the registry a clean run fills.
    /// </summary>
    /// <param name="options">Settings of the server; null for the defaults.</param>
    /// <param name="ct">Cancels the start.</param>
    public static async Task<FhirTestTarget> StartInProcessAsync(FhirTestServerOptions? options = null, CancellationToken ct = default)
    {
        var server = await FhirTestServer.StartAsync(options, ct);
        var http = new HttpClient();
        var auth = server.Options.Auth;
        http.DefaultRequestHeaders.Authorization = auth.Kind switch
        {
            FhirTestAuthKind.Basic => new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes(auth.Username + ":" + auth.Password))),
            FhirTestAuthKind.Bearer => new AuthenticationHeaderValue("Bearer", auth.Token),
            _ => null, // SmartBackend: each request gets a fresh token (SendAsync); None: nothing.
        };
        return new FhirTestTarget(server.BaseUrl, server, http);
    }

    /// <summary>Creates or updates a resource with <c>PUT [base]{type}/{id}</c>.</summary>
    /// <param name="resource">The resource; it must have an id.</param>
    /// <param name="ct">Cancels the request.</param>
    /// <exception cref="HttpRequestException">The server refused it (the message has its OperationOutcome).</exception>
    public async Task PutAsync(Resource resource, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentException.ThrowIfNullOrEmpty(resource.Id, nameof(resource));
        using var content = FhirContent(Serializer.SerializeToString(resource));
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(BaseUrl, resource.TypeName + "/" + resource.Id)) { Content = content };
        using var response = await SendAsync(request, ct);
        await EnsureSuccessAsync(response, request, ct);
    }

    /// <summary>Every current resource of a type, following the server's <c>next</c> links (on its own origin only).</summary>
    /// <param name="resourceType">The type.</param>
    /// <param name="ct">Cancels the search.</param>
    public async Task<IReadOnlyList<Resource>> SearchAllAsync(string resourceType, CancellationToken ct = default)
    {
        var found = new List<Resource>();
        Uri? next = new(BaseUrl, resourceType + "?_count=200");
        while (next is not null)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, next);
            request.Headers.Accept.ParseAdd("application/fhir+json");
            using var response = await SendAsync(request, ct);
            await EnsureSuccessAsync(response, request, ct);
            var page = Deserializer.Deserialize<Bundle>(await response.Content.ReadAsStringAsync(ct));
            found.AddRange(page.Entry.Select(e => e.Resource).OfType<Resource>());
            next = page.NextLink is { } link && new Uri(BaseUrl, link) is var url && url.Authority == BaseUrl.Authority ? url : null;
        }

        return found;
    }

    /// <summary>Posts a transaction (or batch) Bundle to <c>[base]</c> and returns the response Bundle.</summary>
    /// <param name="bundle">The Bundle.</param>
    /// <param name="ct">Cancels the request.</param>
    /// <exception cref="HttpRequestException">The server refused it (the message has its OperationOutcome).</exception>
    public async Task<Bundle> TransactionAsync(Bundle bundle, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        var body = await PostBundleAsync(Serializer.SerializeToString(bundle), ct);
        return Deserializer.Deserialize<Bundle>(body);
    }

    /// <summary>
    /// PUTs every resource of every <c>*.ndjson</c> file in <paramref name="directory"/> (not its subfolders), in
    /// transaction Bundles of at most <see cref="SeedBatchSize"/> entries, referenced types first (Organization,
    /// Location, Patient, Encounter, ... Procedure, Observation). Resources are sent as they are in the files. A resource
    /// that appears several times (several versions) is PUT once per line, lowest <c>meta.versionId</c> (then
    /// <c>meta.lastUpdated</c>) first, each in a later Bundle, so the highest version ends up current.
    /// </summary>
    /// <param name="directory">A folder of NDJSON files, such as a Bulk Data export.</param>
    /// <param name="ct">Cancels the seeding.</param>
    /// <returns>The number of lines PUT (resource versions).</returns>
    /// <exception cref="InvalidDataException">A line is not a resource with a resourceType and an id.</exception>
    public async Task<int> SeedNdjsonAsync(string directory, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var byResource = new Dictionary<(string Type, string Id), List<SeedLine>>();
        foreach (var file in Directory.GetFiles(directory, "*.ndjson").Order(StringComparer.Ordinal))
        {
            var number = 0;
            foreach (var line in await File.ReadAllLinesAsync(file, ct))
            {
                number++;
                if (line.Length == 0)
                {
                    continue;
                }

                var seed = Identify(line, file, number);
                if (!byResource.TryGetValue((seed.Type, seed.Id), out var versions))
                {
                    versions = [];
                    byResource[(seed.Type, seed.Id)] = versions;
                }

                versions.Add(seed);
            }
        }

        // Round n holds every resource's n-th version, so no Bundle names a resource twice.
        var rounds = byResource.Values
            .SelectMany(versions => versions.OrderBy(v => v.Version).ThenBy(v => v.LastUpdated).Select((v, round) => (Round: round, Line: v)))
            .GroupBy(x => x.Round)
            .OrderBy(g => g.Key);
        var total = 0;
        foreach (var round in rounds)
        {
            var ordered = round.Select(x => x.Line)
                .OrderBy(l => Array.IndexOf(SeedOrder, l.Type) is var i and >= 0 ? i : SeedOrder.Length)
                .ThenBy(l => l.Type, StringComparer.Ordinal)
                .ToList();
            for (var start = 0; start < ordered.Count; start += SeedBatchSize)
            {
                await PostBundleAsync(SeedBundle(ordered.Skip(start).Take(SeedBatchSize)), ct);
            }

            total += ordered.Count;
        }

        return total;
    }

    /// <summary>Stops the in-process server, if any.</summary>
    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }

    /// <inheritdoc />
    public override string ToString() => BaseUrl + (IsExternal ? " (external)" : " (in-process)");

    private static StringContent FhirContent(string json) => new(json, Encoding.UTF8, "application/fhir+json");

    private static SeedLine Identify(string line, string file, int number)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("resourceType", out var type) && type.ValueKind == JsonValueKind.String
                && root.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String)
            {
                var version = 0;
                DateTimeOffset? lastUpdated = null;
                if (root.TryGetProperty("meta", out var meta) && meta.ValueKind == JsonValueKind.Object)
                {
                    if (meta.TryGetProperty("versionId", out var v) && v.ValueKind == JsonValueKind.String)
                    {
                        _ = int.TryParse(v.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out version);
                    }

                    if (meta.TryGetProperty("lastUpdated", out var u) && u.ValueKind == JsonValueKind.String
                        && DateTimeOffset.TryParse(u.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
                    {
                        lastUpdated = parsed;
                    }
                }

                return new SeedLine(type.GetString()!, id.GetString()!, version, lastUpdated, line);
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{file}:{number}: not JSON ({e.Message})."), e);
        }

        throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{file}:{number}: not a resource with resourceType and id."));
    }

    private string SeedBundle(IEnumerable<SeedLine> resources)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("resourceType", "Bundle");
            w.WriteString("type", "transaction");
            w.WriteStartArray("entry");
            foreach (var (type, id, _, _, json) in resources)
            {
                w.WriteStartObject();
                w.WriteString("fullUrl", BaseUrl + type + "/" + id);
                w.WritePropertyName("resource");
                w.WriteRawValue(json);
                w.WriteStartObject("request");
                w.WriteString("method", "PUT");
                w.WriteString("url", type + "/" + id);
                w.WriteEndObject();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private async Task<string> PostBundleAsync(string json, CancellationToken ct)
    {
        using var content = FhirContent(json);
        using var request = new HttpRequestMessage(HttpMethod.Post, BaseUrl) { Content = content };
        using var response = await SendAsync(request, ct);
        await EnsureSuccessAsync(response, request, ct);
        return await response.Content.ReadAsStringAsync(ct);
    }

    private Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        request.Headers.Accept.ParseAdd("application/fhir+json");
        if (Server?.Options.Auth.Kind == FhirTestAuthKind.SmartBackend)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Server.IssueAccessToken("fhirbridge-seeding"));
        }

        return _http.SendAsync(request, ct);
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, HttpRequestMessage request, CancellationToken ct)
    {
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(ct);
            throw new HttpRequestException(
                $"{request.Method} {request.RequestUri} answered {(int)response.StatusCode}: {(body.Length > 2000 ? body[..2000] : body)}",
                null, response.StatusCode);
        }
    }

    private sealed record SeedLine(string Type, string Id, int Version, DateTimeOffset? LastUpdated, string Json);
}
