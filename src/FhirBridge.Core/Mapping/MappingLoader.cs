using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;

namespace FhirBridge.Mapping;

/// <summary>
/// Loads the mapping directories: the defaults shipped in <c>mappings/</c>, then each directory a hospital adds
/// (architecture principle 4: mappings are data). Every <c>*.json</c> file must be a valid FHIR resource;
/// ConceptMaps are used, CodeSystems and ValueSets are accepted, anything else is refused.
/// </summary>
public static class MappingLoader
{
    /// <summary>Loads every <c>*.json</c> file under the directories (recursively, in ordinal path order).</summary>
    /// <exception cref="InvalidMappingException">A directory is missing, or a file is not valid FHIR JSON or maps to an unknown category.</exception>
    public static CategoryMaps Load(IEnumerable<string> directories, CodeSystems systems)
    {
        var maps = new List<(ConceptMap, string)>();
        var deserializer = new FhirJsonDeserializer();
        foreach (var directory in directories)
        {
            if (!Directory.Exists(directory))
            {
                throw new InvalidMappingException($"mapping directory not found: {directory}");
            }

            var files = Directory.EnumerateFiles(directory, "*.json", SearchOption.AllDirectories)
                .Order(StringComparer.Ordinal);
            foreach (var file in files)
            {
                var resource = Read(deserializer, file);
                switch (resource)
                {
                    case ConceptMap map:
                        maps.Add((map, file));
                        break;
                    case CodeSystem or ValueSet:
                        break;
                    default:
                        throw new InvalidMappingException($"{file}: a mapping file must be a ConceptMap, CodeSystem or ValueSet, not {resource.TypeName}");
                }
            }
        }

        return CategoryMaps.From(maps, systems);
    }

    private static Resource Read(FhirJsonDeserializer deserializer, string file)
    {
        try
        {
            // Strict: a mapping file is ours to get right, and a typo in it would silently change who is counted.
            return deserializer.DeserializeResource(File.ReadAllText(file));
        }
        catch (Exception e) when (e is DeserializationFailedException or JsonException or FormatException or IOException)
        {
            var first = e is DeserializationFailedException dfe ? dfe.Exceptions.FirstOrDefault()?.Message ?? e.Message : e.Message;
            throw new InvalidMappingException($"{file}: not a valid FHIR R4 JSON resource: {first}", e);
        }
    }
}
