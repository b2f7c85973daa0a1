using Hl7.Fhir.Model;
using static Hl7.Fhir.Model.CapabilityStatement;

namespace FhirBridge.TestServer.Http;

/// <summary>The server's CapabilityStatement (https://hl7.org/fhir/R4/capabilitystatement.html), built with the Firely SDK.</summary>
internal static class CapabilityStatementBuilder
{
    public static CapabilityStatement Build(ServerContext server)
    {
        var interactions = new[]
        {
            TypeRestfulInteraction.Read, TypeRestfulInteraction.Vread, TypeRestfulInteraction.Update,
            TypeRestfulInteraction.Delete, TypeRestfulInteraction.Create, TypeRestfulInteraction.SearchType,
            TypeRestfulInteraction.HistoryInstance,
        };
        var rest = new RestComponent
        {
            Mode = RestfulCapabilityMode.Server,
            Interaction =
            [
                new SystemInteractionComponent { Code = SystemRestfulInteraction.Transaction },
                new SystemInteractionComponent { Code = SystemRestfulInteraction.Batch },
            ],
            Operation =
            [
                new OperationComponent { Name = "export", Definition = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export" },
            ],
        };
        foreach (var type in server.Store.Types.OrderBy(t => t, StringComparer.Ordinal))
        {
            var resource = new ResourceComponent
            {
                Type = type,
                Versioning = ResourceVersionPolicy.Versioned,
                ReadHistory = true,
                UpdateCreate = true,
                ConditionalCreate = true,
                ConditionalUpdate = true,
                ConditionalDelete = ConditionalDeleteStatus.Single,
                Interaction = interactions.Select(i => new ResourceInteractionComponent { Code = i }).ToList(),
                SearchParam =
                [
                    Param("_id", SearchParamType.Token, "http://hl7.org/fhir/SearchParameter/Resource-id"),
                    Param("_lastUpdated", SearchParamType.Date, "http://hl7.org/fhir/SearchParameter/Resource-lastUpdated"),
                    Param("_count", SearchParamType.Number, null),
                    Param("identifier", SearchParamType.Token, null),
                ],
            };
            resource.SearchParam.AddRange(Store.SearchParameters.For(type)
                .Select(p => Param(p.Name, SearchParamType.Reference, null)));
            if (type == "Group")
            {
                resource.Operation.Add(new OperationComponent { Name = "export", Definition = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export" });
            }
            else if (type == "Patient")
            {
                resource.Operation.Add(new OperationComponent { Name = "export", Definition = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export" });
            }

            if (server.Options.AdvertiseBackport)
            {
                if (type == "Subscription")
                {
                    resource.SupportedProfile = ["http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription"];
                }
                else
                {
                    resource.AddExtension("http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/capabilitystatement-subscriptiontopic-canonical",
                        new Canonical(Subscriptions.SubscriptionNotifier.TopicPrefix + type));
                }
            }

            rest.Resource.Add(resource);
        }

        if (server.Options.Auth.Kind != FhirTestAuthKind.None)
        {
            rest.Security = new SecurityComponent { Description = $"{server.Options.Auth.Kind} authentication is required." };
            if (server.Options.Auth.Kind == FhirTestAuthKind.SmartBackend)
            {
                rest.Security.Service.Add(new CodeableConcept("http://terminology.hl7.org/CodeSystem/restful-security-service", "SMART-on-FHIR"));
                var uris = new Extension { Url = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris" };
                uris.Extension.Add(new Extension("token", new FhirUri(server.TokenUrl)));
                rest.Security.Extension.Add(uris);
            }
        }

        return new CapabilityStatement
        {
            Id = "fhirbridge-test-server",
            Name = "FhirBridgeTestServer",
            Status = PublicationStatus.Active,
            Date = server.Clock.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
            Kind = CapabilityStatementKind.Instance,
            Software = new SoftwareComponent { Name = "FhirBridge.TestServer" },
            Implementation = new ImplementationComponent { Description = "In-memory FHIR R4 test server", Url = server.BaseUrl },
            FhirVersion = FHIRVersion.N4_0_1,
            Format = ["application/fhir+json", "json"],
            Instantiates = server.Options.AdvertiseBackport
                ? ["http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data", "http://hl7.org/fhir/uv/subscriptions-backport/CapabilityStatement/backport-subscription-server-r4"]
                : ["http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data"],
            Rest = [rest],
        };
    }

    private static CapabilityStatement.SearchParamComponent Param(string name, SearchParamType type, string? definition) =>
        new() { Name = name, Type = type, Definition = definition };
}
