using FhirBridge.Timeline;
using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;

namespace FhirBridge.Mapping;

/// <summary>
/// The loaded ConceptMaps, indexed for translation of source codes into categories.
/// Firely's LocalTerminologyService does not implement $translate, so the lookup is built here from
/// <c>ConceptMap.group.element.target</c> (library-notes.md, "Terminology").
/// </summary>
public sealed class CategoryMaps
{
    /// <summary>
    /// The equivalences that count (spec, "Mappings: Which equivalences count"). <c>wider</c> is the usual one:
    /// the category is wider than the source code.
    /// </summary>
    public static readonly IReadOnlySet<string> CountingEquivalences =
        new HashSet<string>(StringComparer.Ordinal) { "equivalent", "equal", "wider", "subsumes" };

    private readonly Dictionary<(string System, string Code), List<Target>> _index = [];

    private CategoryMaps(CodeSystems systems) => Systems = systems;

    /// <summary>The system table (aliases) used for translation.</summary>
    public CodeSystems Systems { get; }

    /// <summary>The number of source codes mapped (for summaries).</summary>
    public int MappedCodeCount => _index.Count;

    /// <summary>Builds the index from ConceptMaps; groups whose target is not the category system are ignored.</summary>
    /// <exception cref="InvalidMappingException">A target names a code that is not a category, or an element has no code.</exception>
    public static CategoryMaps From(IEnumerable<(ConceptMap Map, string Origin)> maps, CodeSystems systems)
    {
        var result = new CategoryMaps(systems);
        foreach (var (map, origin) in maps)
        {
            var url = map.Url ?? origin;
            foreach (var group in map.Group)
            {
                var targetSystem = group.Target ?? (map.Target as Canonical)?.Value ?? (map.Target as FhirUri)?.Value;
                if (targetSystem != Category.System)
                {
                    continue;
                }

                var source = systems.Canonical(group.Source ?? (map.Source as Canonical)?.Value ?? (map.Source as FhirUri)?.Value);
                foreach (var element in group.Element)
                {
                    if (string.IsNullOrWhiteSpace(element.Code))
                    {
                        throw new InvalidMappingException($"{origin}: ConceptMap {url} has an element without a code in group source {source}");
                    }

                    // Maps written with dotless ICD codes mean the same codes as the data: normalise both sides.
                    var code = CodeNormalizer.Normalize(source, element.Code, LooksLikeProcedure(source, element.Code) ? CodeUse.Procedure : CodeUse.Diagnosis);
                    foreach (var target in element.Target)
                    {
                        if (target.Code is null || !Category.All.Contains(target.Code))
                        {
                            throw new InvalidMappingException(
                                $"{origin}: ConceptMap {url} maps {source}|{element.Code} to unknown category '{target.Code}' (expected one of {string.Join(", ", Category.All.Order(StringComparer.Ordinal))})");
                        }

                        var equivalence = target.Equivalence?.GetLiteral() ?? "equivalent";
                        result.Add(source, code, new Target(target.Code, equivalence, url));
                    }
                }
            }
        }

        return result;
    }

    /// <summary>Translates one coding (spec, "Mappings: Prefix matching").</summary>
    public Translation Translate(SourceCoding coding, CodeUse use)
    {
        var system = Systems.Canonical(coding.System);
        var code = CodeNormalizer.Normalize(system, coding.Code, use);
        var ignored = new List<IgnoredMapping>();

        // ICD codes match on their longest mapped prefix (M51.1 under M51; 81.0700x001 under 81.07);
        // other systems only exactly. A prefix whose mappings do not count is skipped for a shorter one.
        var shortest = CodeSystems.IsIcd(system) ? Math.Min(code.Length, system == CodeSystems.Icd10 ? 3 : 2) : code.Length;
        for (var length = code.Length; length >= shortest && length > 0; length--)
        {
            var candidate = code[..length];
            if (candidate.EndsWith('.') || !_index.TryGetValue((system, candidate), out var targets))
            {
                continue;
            }

            var matches = new List<CategoryMatch>();
            foreach (var t in targets)
            {
                if (CountingEquivalences.Contains(t.Equivalence))
                {
                    if (!matches.Any(m => m.Category == t.Category))
                    {
                        matches.Add(new CategoryMatch(coding, t.Category, candidate, length < code.Length, t.ConceptMap, t.Equivalence));
                    }
                }
                else
                {
                    ignored.Add(new IgnoredMapping(candidate, t.Category, t.Equivalence, t.ConceptMap));
                }
            }

            if (matches.Count > 0)
            {
                return new Translation(coding, system, code, matches, ignored);
            }
        }

        return new Translation(coding, system, code, [], ignored);
    }

    // ICD-9-CM Volume 3 procedure codes are two digits before the dot; diagnosis codes three (V codes) or more.
    private static bool LooksLikeProcedure(string system, string code)
    {
        if (system != CodeSystems.Icd9Cm)
        {
            return false;
        }

        var c = code.Trim();
        var dot = c.IndexOf('.', StringComparison.Ordinal);
        return dot == 2 || (dot < 0 && c.Length <= 4 && c.All(char.IsAsciiDigit));
    }

    private void Add(string system, string code, Target target)
    {
        if (!_index.TryGetValue((system, code), out var list))
        {
            _index[(system, code)] = list = [];
        }

        list.Add(target);
    }

    private sealed record Target(string Category, string Equivalence, string ConceptMap);
}
