using FhirBridge.Timeline;

namespace FhirBridge.Mapping;

/// <summary>What the mappings say about one source coding.</summary>
/// <param name="Source">The coding as the source wrote it.</param>
/// <param name="System">The canonical system (aliases resolved).</param>
/// <param name="NormalizedCode">The code after normalisation.</param>
/// <param name="Matches">The categories reached through equivalences that count.</param>
/// <param name="Ignored">Mappings found whose equivalence does not count (logged, never used).</param>
public sealed record Translation(
    SourceCoding Source,
    string System,
    string NormalizedCode,
    IReadOnlyList<CategoryMatch> Matches,
    IReadOnlyList<IgnoredMapping> Ignored);

/// <summary>A ConceptMap target that was found but does not count, e.g. <c>relatedto</c>.</summary>
public sealed record IgnoredMapping(string MatchedCode, string Category, string Equivalence, string ConceptMap);
