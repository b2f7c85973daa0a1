using System.Net;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using static FhirBridge.TestServer.Tests.TestServers;

namespace FhirBridge.TestServer.Tests;

/// <summary>Transaction and batch Bundles (https://hl7.org/fhir/R4/http.html#transaction), as the registry push sends them.</summary>
public sealed class TransactionTests
{
    private const string Pseudonym = "http://fhirbridge.org/fhir/sid/pseudonym";
    private const string SubjectId = "http://fhirbridge.org/fhir/sid/research-subject";

    [Fact]
    public async Task Transaction_ConditionalPutTwice_SecondIs200AndCreatesNothing()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        var client = FhirClientFor(server, http);

        var first = await client.TransactionAsync(RegistryBundle());
        var second = await client.TransactionAsync(RegistryBundle());

        Assert.Equal(Bundle.BundleType.TransactionResponse, first!.Type);
        Assert.Equal(["201 Created", "201 Created"], first.Entry.Select(e => e.Response!.Status));
        Assert.Equal(["200 OK", "200 OK"], second!.Entry.Select(e => e.Response!.Status));
        Assert.Equal(1, server.ResourceCount("Patient"));
        Assert.Equal(1, server.ResourceCount("ResearchSubject"));
        var patientLocation = first.Entry[0].Response!.Location!;
        Assert.Matches("^Patient/[^/]+/_history/1$", patientLocation);
        Assert.Equal("W/\"1\"", first.Entry[0].Response!.Etag);
        Assert.Equal(patientLocation.Replace("/_history/1", "/_history/2", StringComparison.Ordinal), second.Entry[0].Response!.Location);
        Assert.Equal("W/\"2\"", second.Entry[0].Response!.Etag);

        // The urn:uuid reference inside the Bundle now names the Patient the server assigned.
        var subject = (await client.SearchAsync<ResearchSubject>(new[] { "identifier=" + SubjectId + "|s1" }))!.Entry.Single().Resource as ResearchSubject;
        Assert.Equal(patientLocation[..patientLocation.IndexOf("/_history", StringComparison.Ordinal)], subject!.Individual.Reference);
    }

    [Fact]
    public async Task Transaction_PostIfNoneExistTwice_SecondReturnsExistingWithoutCreating()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        var client = FhirClientFor(server, http);
        Bundle Build() => new TransactionBuilder(server.BaseUrl, Bundle.BundleType.Transaction)
            .ConditionalCreate(Pseudonymous("ignored"), new SearchParams().Where($"identifier={Pseudonym}|abc"), "urn:uuid:" + Guid.NewGuid())
            .ToBundle();

        var first = await client.TransactionAsync(Build());
        var second = await client.TransactionAsync(Build());

        Assert.Equal("201 Created", first!.Entry[0].Response!.Status);
        Assert.Equal("200 OK", second!.Entry[0].Response!.Status);
        Assert.Equal(first.Entry[0].Response!.Location, second.Entry[0].Response!.Location);
        Assert.Equal(1, server.ResourceCount("Patient"));
    }

    [Fact]
    public async Task Transaction_ConditionalPutMatchingSeveral_Returns412AndCommitsNothing()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        await SeedAsync(http, Patient("a", "dup"), Patient("b", "dup"));
        var bundle = new TransactionBuilder(server.BaseUrl, Bundle.BundleType.Transaction)
            .Update("c", Patient("c"))
            .ConditionalUpdate(new SearchParams().Where($"identifier={Mrn}|dup"), Patient("x", "dup"))
            .ToBundle();
        bundle.Entry[1].Resource!.Id = null;

        using var content = Content(bundle);
        using var response = await http.PostAsync(server.BaseUrl, content);

        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
        Assert.Contains("Entry 1", (await ResourceAsync<OperationOutcome>(response)).Issue[0].Diagnostics, StringComparison.Ordinal);
        Assert.Equal(2, server.ResourceCount("Patient"));
    }

    [Fact]
    public async Task Transaction_LaterEntryFails_EarlierWritesAreRolledBack()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        await SeedAsync(http, Patient("p1"), Patient("p1"), Patient("p2"));
        var bundle = new TransactionBuilder(server.BaseUrl, Bundle.BundleType.Transaction)
            .Create(Patient("new"))
            .Delete("Patient", "p2")
            .Update("p1", Patient("p1", "changed"), versionId: "1")
            .ToBundle();

        using var content = Content(bundle);
        using var response = await http.PostAsync(server.BaseUrl, content);
        using var p1 = await GetAsync(http, "Patient/p1");

        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
        Assert.Equal(2, server.ResourceCount("Patient"));
        Assert.Equal(HttpStatusCode.OK, p1.StatusCode);
        Assert.Equal("W/\"2\"", p1.Headers.ETag?.ToString());
    }

    [Fact]
    public async Task Transaction_TwoEntriesForOneResource_Returns400()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        await SeedAsync(http, Patient("p1"));
        var bundle = new TransactionBuilder(server.BaseUrl, Bundle.BundleType.Transaction)
            .Delete("Patient", "p1")
            .Update("p1", Patient("p1", "changed"))
            .ToBundle();

        using var content = Content(bundle);
        using var response = await http.PostAsync(server.BaseUrl, content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(1, server.ResourceCount("Patient"));
    }

    [Fact]
    public async Task Transaction_DeleteAndConditionalDelete_RemoveResources()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        await SeedAsync(http, Patient("p1", "M1"), Patient("p2", "M2"), Patient("p3", "M3"));
        var bundle = new TransactionBuilder(server.BaseUrl, Bundle.BundleType.Transaction)
            .Delete("Patient", "p1")
            .ConditionalDeleteSingle(new SearchParams().Where($"identifier={Mrn}|M2"), "Patient")
            .ConditionalDeleteSingle(new SearchParams().Where($"identifier={Mrn}|none"), "Patient")
            .ToBundle();

        var response = await FhirClientFor(server, http).TransactionAsync(bundle);

        Assert.Equal(["204 No Content", "204 No Content", "204 No Content"], response!.Entry.Select(e => e.Response!.Status));
        Assert.Equal(1, server.ResourceCount("Patient"));
    }

    [Fact]
    public async Task Transaction_UnresolvedPlaceholder_Returns400()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        var procedure = Procedure("op1", "x");
        procedure.Subject = new ResourceReference("urn:uuid:" + Guid.NewGuid());
        var bundle = new TransactionBuilder(server.BaseUrl, Bundle.BundleType.Transaction).Update("op1", procedure).ToBundle();

        using var content = Content(bundle);
        using var response = await http.PostAsync(server.BaseUrl, content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(0, server.ResourceCount("Procedure"));
    }

    [Fact]
    public async Task Transaction_ConditionalReference_ResolvesToTheOneMatch()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        await SeedAsync(http, Patient("p9", "M9"));
        var procedure = Procedure("op1", "x");
        procedure.Subject = new ResourceReference($"Patient?identifier={Mrn}|M9");
        var bundle = new TransactionBuilder(server.BaseUrl, Bundle.BundleType.Transaction).Update("op1", procedure).ToBundle();

        await FhirClientFor(server, http).TransactionAsync(bundle);
        using var read = await GetAsync(http, "Procedure/op1");

        Assert.Equal("Patient/p9", (await ResourceAsync<Procedure>(read)).Subject.Reference);
    }

    [Fact]
    public async Task Batch_OneEntryFails_OthersAreCommitted()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        var bundle = new TransactionBuilder(server.BaseUrl, Bundle.BundleType.Batch)
            .Update("p1", Patient("p1"))
            .Read("Patient", "missing")
            .Update("p2", Patient("p2"))
            .ToBundle();

        var response = await FhirClientFor(server, http).TransactionAsync(bundle);

        Assert.Equal(Bundle.BundleType.BatchResponse, response!.Type);
        Assert.Equal(["201 Created", "404 Not Found", "201 Created"], response.Entry.Select(e => e.Response!.Status));
        Assert.IsType<OperationOutcome>(response.Entry[1].Response!.Outcome);
        Assert.Equal(2, server.ResourceCount("Patient"));
    }

    [Fact]
    public async Task ConditionalPut_Rest_CreatesThenUpdatesTheMatch()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        var patient = Pseudonymous(null);
        var url = new Uri($"Patient?identifier={Uri.EscapeDataString(Pseudonym + "|abc")}", UriKind.Relative);

        using var created = await http.PutAsync(url, Content(patient));
        using var updated = await http.PutAsync(url, Content(patient));

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal((await ResourceAsync<Patient>(created)).Id, (await ResourceAsync<Patient>(updated)).Id);
        Assert.Equal(1, server.ResourceCount("Patient"));
    }

    [Fact]
    public async Task Transaction_ConditionalPutOfAdverseEvent_IsServedByDefault()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);
        var client = FhirClientFor(server, http);
        var adverse = new AdverseEvent
        {
            Identifier = new Identifier(SubjectId + "/return", "s1-r1"),
            Actuality = AdverseEvent.AdverseEventActuality.Actual,
            Subject = new ResourceReference("Patient/p1"),
        };
        var bundle = new TransactionBuilder(server.BaseUrl, Bundle.BundleType.Transaction)
            .ConditionalUpdate(new SearchParams().Where($"identifier={SubjectId}/return|s1-r1"), adverse)
            .ToBundle();

        var response = await client.TransactionAsync(bundle);

        Assert.Equal("201 Created", response!.Entry[0].Response!.Status);
        Assert.Equal(1, server.ResourceCount("AdverseEvent"));
    }

    private static Patient Pseudonymous(string? id) => new()
    {
        Id = id,
        Identifier = [new Identifier(Pseudonym, "abc")],
        Gender = AdministrativeGender.Male,
        BirthDate = "1960",
    };

    private static Bundle RegistryBundle()
    {
        var patientUuid = "urn:uuid:" + Guid.NewGuid();
        var subject = new ResearchSubject
        {
            Status = ResearchSubject.ResearchSubjectStatus.OnStudy,
            Identifier = [new Identifier(SubjectId, "s1")],
            Study = new ResourceReference("ResearchStudy/nct05995327"),
            Individual = new ResourceReference(patientUuid),
            AssignedArm = "degenerative",
        };
        var bundle = new TransactionBuilder(new Uri("http://ignored.example/fhir"), Bundle.BundleType.Transaction)
            .ConditionalUpdate(new SearchParams().Where($"identifier={Pseudonym}|abc"), Pseudonymous(null))
            .ConditionalUpdate(new SearchParams().Where($"identifier={SubjectId}|s1"), subject)
            .ToBundle();
        bundle.Entry[0].FullUrl = patientUuid;
        bundle.Entry[1].FullUrl = "urn:uuid:" + Guid.NewGuid();
        return bundle;
    }
}
