using System.Net;
using Hl7.Fhir.Model;
using static FhirBridge.TestServer.Tests.TestServers;

namespace FhirBridge.TestServer.Tests;

/// <summary>The CapabilityStatement at <c>[base]metadata</c>.</summary>
public sealed class CapabilitiesTests
{
    [Fact]
    public async Task Metadata_Get_ListsTypesInteractionsSearchParamsAndExport()
    {
        await using var server = await StartAsync();
        using var http = HttpClientFor(server);

        using var response = await GetAsync(http, "metadata");
        var statement = await ResourceAsync<CapabilityStatement>(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(FHIRVersion.N4_0_1, statement.FhirVersion);
        var rest = Assert.Single(statement.Rest);
        foreach (var type in new[] { "Procedure", "Encounter", "Observation", "Patient", "Condition", "Location", "Organization", "ServiceRequest" })
        {
            var resource = Assert.Single(rest.Resource, r => r.Type == type);
            Assert.Contains(resource.Interaction, i => i.Code == CapabilityStatement.TypeRestfulInteraction.SearchType);
            Assert.Contains(resource.Interaction, i => i.Code == CapabilityStatement.TypeRestfulInteraction.Vread);
            Assert.Subset(resource.SearchParam.Select(p => p.Name).ToHashSet(), new HashSet<string?> { "_lastUpdated", "_count", "_id" });
        }

        Assert.Contains(rest.Operation, o => o.Name == "export");
        Assert.Contains(rest.Interaction, i => i.Code == CapabilityStatement.SystemRestfulInteraction.Transaction);
    }

    [Fact]
    public async Task Metadata_SmartServerWithoutToken_IsServedWithTokenEndpoint()
    {
        await using var server = await StartAsync(configure: o => o.Auth = FhirTestAuth.SmartBackend);
        using var http = HttpClientFor(server);

        using var response = await GetAsync(http, "metadata");
        var statement = await ResourceAsync<CapabilityStatement>(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var uris = statement.Rest[0].Security.GetExtension("http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris");
        Assert.NotNull(uris);
        Assert.Equal(server.TokenUrl.ToString(), Assert.IsType<FhirUri>(uris.GetExtension("token")?.Value).Value);
    }
}
