using System.Net;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using static FhirBridge.TestServer.Tests.TestServers;

namespace FhirBridge.TestServer.Tests;

/// <summary>
/// The seeding abstraction. These run against <c>FHIRBRIDGE_TEST_FHIR_URL</c> when it is set, so they only use plain
/// FHIR REST to check what they seeded.
/// </summary>
public sealed class FhirTestTargetTests
{
    [Fact]
    public async Task CreateAsync_WithoutEnvironmentVariable_StartsAnInProcessServer()
    {
        await using var target = await FhirTestTarget.CreateAsync();

        Assert.Equal(Environment.GetEnvironmentVariable(FhirTestTarget.EnvironmentVariable) is { Length: > 0 }, target.IsExternal);
        Assert.Equal(!target.IsExternal, target.SupportsFaults);
        Assert.EndsWith("/", target.BaseUrl.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PutAsync_Resource_IsReadableThroughRest()
    {
        await using var target = await FhirTestTarget.CreateAsync();
        using var http = new HttpClient { BaseAddress = target.BaseUrl };
        var id = "seed-" + Guid.NewGuid().ToString("N")[..12];

        await target.PutAsync(Patient(id));
        using var read = await http.GetAsync(new Uri("Patient/" + id, UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
    }

    [Fact]
    public async Task SeedNdjsonAsync_SyntheticHospital_SeedsEveryLineOfEveryFile()
    {
        var directory = Path.Combine(RepositoryRoot(), "samples", "synthetic-hospital");
        await using var target = await FhirTestTarget.CreateAsync();
        using var http = new HttpClient { BaseAddress = target.BaseUrl };

        var seeded = await target.SeedNdjsonAsync(directory);

        var lines = 0;
        foreach (var file in Directory.GetFiles(directory, "*.ndjson"))
        {
            var resources = File.ReadLines(file).Where(l => l.Length > 0).Select(l => Deserializer.DeserializeResource(l)).ToList();
            lines += resources.Count;
            var type = Path.GetFileNameWithoutExtension(file);
            using var response = await http.GetAsync(new Uri(type + "?_summary=count", UriKind.Relative));
            var bundle = await ResourceAsync<Bundle>(response);
            var distinct = resources.Select(r => r.Id).Distinct().Count();
            Assert.True(target.IsExternal ? bundle.Total >= distinct : bundle.Total == distinct, $"{type}: {bundle.Total} on the server, {distinct} in the file");
        }

        Assert.Equal(lines, seeded);
    }

    [Fact]
    public async Task SeedNdjsonAsync_OnSmartServer_SeedsWithAnIssuedToken()
    {
        if (Environment.GetEnvironmentVariable(FhirTestTarget.EnvironmentVariable) is { Length: > 0 })
        {
            return; // Auth settings apply to the in-process server only.
        }

        var directory = Directory.CreateTempSubdirectory("fhirbridge-seed-");
        try
        {
            await File.WriteAllLinesAsync(Path.Combine(directory.FullName, "Patient.ndjson"),
                [Serializer.SerializeToString(Patient("a")), "", Serializer.SerializeToString(Patient("b"))]);
            await using var target = await FhirTestTarget.CreateAsync(new FhirTestServerOptions { Auth = FhirTestAuth.SmartBackend });

            var seeded = await target.SeedNdjsonAsync(directory.FullName);

            Assert.Equal(2, seeded);
            Assert.Equal(2, target.Server!.ResourceCount("Patient"));
            Assert.All(target.Server.Requests, r => Assert.Equal("Bearer", r.AuthorizationScheme));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task SeedNdjsonAsync_LineWithoutId_ThrowsNamingFileAndLine()
    {
        var directory = Directory.CreateTempSubdirectory("fhirbridge-seed-");
        try
        {
            await File.WriteAllLinesAsync(Path.Combine(directory.FullName, "Patient.ndjson"), ["{\"resourceType\":\"Patient\",\"active\":true}"]);
            await using var target = await FhirTestTarget.CreateAsync();

            var error = await Assert.ThrowsAsync<InvalidDataException>(() => target.SeedNdjsonAsync(directory.FullName));

            Assert.Contains("Patient.ndjson:1", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FhirBridge.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("FhirBridge.sln not found above " + AppContext.BaseDirectory);
    }
}
