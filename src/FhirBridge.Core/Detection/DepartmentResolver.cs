using FhirBridge.Mapping;
using FhirBridge.Timeline;

namespace FhirBridge.Detection;

/// <summary>
/// Decides whether orthopaedics performed an operation (spec, "Department"), from its principal Procedure: the
/// performers' organizations, else the encounter's service type, else the encounter's service provider.
/// </summary>
internal static class DepartmentResolver
{
    public static Finding IsOrthopaedics(Operation operation, RuleScope scope)
    {
        var principal = operation.Principal;

        // department.1-performer. A referenced Organization that is missing is logged and skipped, so the next
        // source can still decide: an unreadable reference is not evidence of another department.
        var organizations = principal.PerformerOrganizations
            .Select(k => scope.Organization(k, principal.Ref, Clause.DepartmentPerformer))
            .OfType<OrganizationRecord>()
            .ToList();
        if (organizations.Count > 0)
        {
            var ortho = organizations.FirstOrDefault(IsOrtho);
            return ortho is not null
                ? new Finding(true, Clause.DepartmentPerformer, false, [ortho.Ref.Key.ToString()], TypeCodes(ortho), "a performer acted on behalf of orthopaedics")
                : new Finding(false, Clause.DepartmentPerformer, false, [.. organizations.Select(o => o.Ref.Key.ToString())], [.. organizations.SelectMany(TypeCodes)],
                    "the performers acted on behalf of another department");
        }

        var encounter = scope.Encounter(principal.Encounter, principal.Ref, Clause.DepartmentServiceType);

        // department.2-service-type
        if (encounter is { ServiceType.Codings.Count: > 0 })
        {
            var holds = encounter.ServiceType.Has(Category.Orthopedics);
            return new Finding(holds, Clause.DepartmentServiceType, false, [encounter.Ref.Key.ToString()], Codes(encounter.ServiceType),
                holds ? "the encounter's service type is orthopaedics" : "the encounter's service type is another department");
        }

        // department.3-service-provider
        if (encounter is not null && scope.Organization(encounter.ServiceProvider, encounter.Ref, Clause.DepartmentServiceProvider) is { } provider)
        {
            var holds = IsOrtho(provider);
            return new Finding(holds, Clause.DepartmentServiceProvider, false, [encounter.Ref.Key.ToString(), provider.Ref.Key.ToString()], TypeCodes(provider),
                holds ? "the encounter's service provider is orthopaedics" : "the encounter's service provider is another department");
        }

        return new Finding(false, Clause.DepartmentServiceProvider, false, [], [], "no performer organization, service type or service provider: department unknown, which is not orthopaedics");
    }

    private static bool IsOrtho(OrganizationRecord organization) => organization.Types.Any(t => t.Has(Category.Orthopedics));

    private static string[] TypeCodes(OrganizationRecord organization) => [.. organization.Types.SelectMany(Codes)];

    private static string[] Codes(CodedConcept concept) => [.. concept.Codings.Select(c => c.ToString())];
}
