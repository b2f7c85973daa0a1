using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using FhirBridge.Mapping;
using FhirBridge.Storage;

namespace FhirBridge.Cli.Web.Admin;

/// <summary>
/// A ConceptMap skeleton for the unmapped codes: one group per source code system, targeting the category system, one
/// element per code with no target yet. The admin adds a target to each element they can map, removes the rest, and
/// loads the file with <c>--mappings DIR</c> / <c>FhirBridge:Mappings:Directories</c>.
/// </summary>
public static class ConceptMapSkeleton
{
    /// <summary>How to fill the skeleton, carried in its <c>description</c> (JSON has no comments).</summary>
    public const string HowToFill =
        "Skeleton written by FhirBridge from the unmapped codes of its mapping log. To use it: give it your own url; for each element you can map, " +
        "add \"target\": [{ \"code\": CATEGORY, \"equivalence\": \"wider\" }] where CATEGORY is one of spine-surgery, theatre-procedure, " +
        "bedside-procedure, adjunct-procedure, staged-procedure, theatre, ward, orthopedics, cohort-degenerative, cohort-deformity, cohort-tumor, " +
        "cohort-fracture, procedure-complication, unrelated-condition (equivalent, equal, wider and subsumes count; relatedto and the others are only logged); " +
        "delete the elements you leave unmapped; set status to active; put the file in a folder listed in FhirBridge:Mappings:Directories. See docs/admin.md.";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The skeleton as FHIR JSON. Codes sent without a system cannot be mapped by a ConceptMap and are left out (the description says how many).</summary>
    public static string Build(IReadOnlyList<UnmappedCode> codes, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(codes);
        var withoutSystem = codes.Count(c => c.System.Length == 0);
        var groups = new JsonArray();
        foreach (var system in codes.Where(c => c.System.Length > 0).GroupBy(c => c.System, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var elements = new JsonArray();
            foreach (var code in system.OrderBy(c => c.Code, StringComparer.Ordinal))
            {
                elements.Add(new JsonObject { ["code"] = code.Code });
            }

            groups.Add(new JsonObject { ["source"] = system.Key, ["target"] = Category.System, ["element"] = elements });
        }

        var map = new JsonObject
        {
            ["resourceType"] = "ConceptMap",
            ["id"] = "fhirbridge-unmapped",
            ["url"] = "http://hospital.example/fhir/ConceptMap/fhirbridge-unmapped",
            ["name"] = "FhirBridgeUnmappedCodes",
            ["title"] = "Local codes FhirBridge could not map (to fill in)",
            ["status"] = "draft",
            ["date"] = at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["description"] = HowToFill + (withoutSystem == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $" {withoutSystem} unmapped codes were sent without a code system and are not listed: fix the system at the source.")),
            ["targetUri"] = Category.System,
        };

        // FHIR JSON has no empty arrays: with nothing unmapped the skeleton has no group.
        if (groups.Count > 0)
        {
            map["group"] = groups;
        }

        return map.ToJsonString(Indented);
    }
}
