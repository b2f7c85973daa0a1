using System.Text.Json;

namespace FhirBridge.TestServer.Store;

/// <summary>What search needs from one resource version, extracted once when it is written.</summary>
internal sealed class SearchIndex
{
    public static readonly SearchIndex Empty = new([], new Dictionary<string, string[]>(StringComparer.Ordinal));

    private SearchIndex(IReadOnlyList<(string? System, string? Value)> identifiers, IReadOnlyDictionary<string, string[]> references)
    {
        Identifiers = identifiers;
        References = references;
    }

    /// <summary>Every <c>identifier</c>'s system and value.</summary>
    public IReadOnlyList<(string? System, string? Value)> Identifiers { get; }

    /// <summary>Per reference parameter, the references it holds as <c>Type/id</c>.</summary>
    public IReadOnlyDictionary<string, string[]> References { get; }

    public string[] ReferencesOf(string parameter) => References.TryGetValue(parameter, out var refs) ? refs : [];

    public static SearchIndex From(string type, JsonElement resource)
    {
        var identifiers = ResourceJson.Select(resource, ["identifier"])
            .Select(i => (ResourceJson.String(i, "system"), ResourceJson.String(i, "value")))
            .ToArray();
        var references = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var parameter in SearchParameters.For(type))
        {
            references[parameter.Name] = ResourceJson.Select(resource, parameter.Path)
                .Select(r => ResourceJson.String(r, "reference"))
                .OfType<string>()
                .Select(ResourceJson.NormalizeReference)
                .OfType<string>()
                .Where(r => parameter.TargetType is null || r.StartsWith(parameter.TargetType + "/", StringComparison.Ordinal))
                .Distinct(StringComparer.Ordinal)
                .ToArray();
        }

        return new SearchIndex(identifiers, references);
    }
}
