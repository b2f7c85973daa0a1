using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirBridge.Conformance;

/// <summary>
/// The StructureDefinitions of <c>profiles/</c> (registry profiles and the extensions defined locally), indexed by
/// canonical url. Only differentials: the core definitions a snapshot needs are not available offline, so
/// <see cref="ProfileValidator"/> reads the differential against the SDK's own model of R4.
/// </summary>
public sealed class ProfileSet
{
    private readonly Dictionary<string, StructureDefinition> _byUrl;

    private ProfileSet(List<StructureDefinition> definitions)
    {
        Definitions = definitions;
        _byUrl = definitions.ToDictionary(d => d.Url!, StringComparer.Ordinal);
    }

    /// <summary>Every StructureDefinition of the set, in file name order.</summary>
    public IReadOnlyList<StructureDefinition> Definitions { get; }

    /// <summary>
    /// Loads every <c>*.json</c> file of a directory (not its subdirectories); each must be an R4 StructureDefinition
    /// constraining a core type with a differential and a url no other file uses.
    /// </summary>
    /// <exception cref="InvalidProfileException">The directory is missing, or a file is not such a StructureDefinition (the message names the file).</exception>
    public static ProfileSet Load(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new InvalidProfileException($"profile directory not found: {directory}");
        }

        // Strict: a profile is ours to get right, and a typo in it would silently let a resource through.
        var deserializer = new FhirJsonDeserializer();
        var definitions = new List<StructureDefinition>();
        var fileOf = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(directory, "*.json", SearchOption.TopDirectoryOnly).Order(StringComparer.Ordinal))
        {
            var definition = Read(deserializer, file);
            if (Problem(definition) is { } problem)
            {
                throw new InvalidProfileException($"{file}: {problem}");
            }

            var url = definition.Url!;
            if (fileOf.TryGetValue(url, out var other))
            {
                throw new InvalidProfileException($"{file}: url {url} is already defined by {other}");
            }

            definitions.Add(definition);
            fileOf[url] = file;
        }

        return new ProfileSet(definitions);
    }

    /// <summary>The StructureDefinition with this canonical url, or null.</summary>
    public StructureDefinition? Find(string canonicalUrl) => _byUrl.GetValueOrDefault(canonicalUrl);

    private static StructureDefinition Read(FhirJsonDeserializer deserializer, string file)
    {
        Resource resource;
        try
        {
            resource = deserializer.DeserializeResource(File.ReadAllText(file));
        }
        catch (Exception e) when (e is DeserializationFailedException or JsonException or FormatException or IOException)
        {
            // The first issue is enough to find the typo; the SDK's aggregate message lists them all on one line.
            var first = e is DeserializationFailedException dfe ? dfe.Exceptions.FirstOrDefault()?.Message ?? e.Message : e.Message;
            throw new InvalidProfileException($"{file}: not a valid FHIR R4 JSON resource: {first}", e);
        }

        return resource as StructureDefinition
            ?? throw new InvalidProfileException($"{file}: a profile file must be a StructureDefinition, not {resource.TypeName}");
    }

    private static string? Problem(StructureDefinition definition)
    {
        if (string.IsNullOrWhiteSpace(definition.Url))
        {
            return "the StructureDefinition has no url";
        }

        if (definition.FhirVersion != FHIRVersion.N4_0_1)
        {
            return "fhirVersion must be 4.0.1 (FHIR R4)";
        }

        if (string.IsNullOrWhiteSpace(definition.Type))
        {
            return "the StructureDefinition has no type";
        }

        if (definition.Derivation != StructureDefinition.TypeDerivationRule.Constraint)
        {
            return "derivation must be constraint: profiles/ holds profiles of core types, not new types";
        }

        if (definition.Differential is not { Element.Count: > 0 })
        {
            return "the StructureDefinition has no differential elements";
        }

        return null;
    }
}
