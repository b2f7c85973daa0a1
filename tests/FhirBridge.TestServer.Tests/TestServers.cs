using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;

namespace FhirBridge.TestServer.Tests;

/// <summary>Starting servers and talking to them: plain HttpClient, Firely's FhirClient, FHIR JSON.</summary>
internal static class TestServers
{
    public const string Mrn = "http://hospital.example/mrn";

    public static readonly FhirJsonSerializer Serializer = new();
    public static readonly FhirJsonDeserializer Deserializer = new(new DeserializerSettings());

    /// <summary>A server on a manual clock, with Bulk Data polls that need no waiting.</summary>
    public static async Task<FhirTestServer> StartAsync(ManualClock? clock = null, Action<FhirTestServerOptions>? configure = null)
    {
        var options = new FhirTestServerOptions
        {
            TimeProvider = clock ?? new ManualClock(ManualClock.DefaultStart),
            ExportPendingPolls = 1,
            ExportRetryAfter = TimeSpan.Zero,
        };
        configure?.Invoke(options);
        return await FhirTestServer.StartAsync(options);
    }

    public static HttpClient HttpClientFor(FhirTestServer server, TimeSpan? timeout = null)
    {
        var http = new HttpClient { BaseAddress = server.BaseUrl, Timeout = timeout ?? TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Accept.ParseAdd("application/fhir+json");
        return http;
    }

    public static FhirClient FhirClientFor(FhirTestServer server, HttpClient http) =>
        new(server.BaseUrl, http, new FhirClientSettings { PreferredFormat = ResourceFormat.Json, VerifyFhirVersion = false });

    public static StringContent Content(Resource resource) => Content(Serializer.SerializeToString(resource));

    public static StringContent Content(string json) => new(json, Encoding.UTF8, "application/fhir+json");

    public static async Task<HttpResponseMessage> PutAsync(HttpClient http, Resource resource)
    {
        using var content = Content(resource);
        return await http.PutAsync(new Uri(resource.TypeName + "/" + resource.Id, UriKind.Relative), content);
    }

    /// <summary>PUTs resources and checks each was accepted.</summary>
    public static async Task SeedAsync(HttpClient http, params Resource[] resources)
    {
        foreach (var resource in resources)
        {
            using var response = await PutAsync(http, resource);
            Assert.True(response.IsSuccessStatusCode, $"PUT {resource.TypeName}/{resource.Id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    public static async Task<HttpResponseMessage> GetAsync(HttpClient http, string relative) =>
        await http.GetAsync(new Uri(relative, UriKind.RelativeOrAbsolute));

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    public static async Task<T> ResourceAsync<T>(HttpResponseMessage response)
        where T : Resource =>
        Deserializer.Deserialize<T>(await response.Content.ReadAsStringAsync());

    public static async Task<Bundle> BundleAsync(HttpClient http, string relative)
    {
        using var response = await GetAsync(http, relative);
        Assert.True(response.IsSuccessStatusCode, $"GET {relative}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await ResourceAsync<Bundle>(response);
    }

    public static AuthenticationHeaderValue BearerHeader(string token) => new("Bearer", token);

    public static Patient Patient(string id, string? mrn = null) => new()
    {
        Id = id,
        Identifier = [new Identifier(Mrn, mrn ?? "MRN-" + id)],
        Gender = AdministrativeGender.Female,
        BirthDate = "1970-01-01",
    };

    public static Procedure Procedure(string id, string patientId, string? note = null) => new()
    {
        Id = id,
        Status = EventStatus.Completed,
        Identifier = [new Identifier("http://hospital.example/procedure", id)],
        Code = new CodeableConcept("http://hl7.org/fhir/sid/icd-9-cm", "81.07", note ?? "Lumbar fusion"),
        Subject = new ResourceReference("Patient/" + patientId),
        Performed = new FhirDateTime("2024-03-01T09:00:00+08:00"),
    };

    public static string Id(Bundle.EntryComponent entry) => entry.Resource?.Id ?? "(no resource)";
}
