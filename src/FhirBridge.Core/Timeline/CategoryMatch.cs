namespace FhirBridge.Timeline;

/// <summary>One source code reaching one category, and the evidence for it: which ConceptMap, which (prefix) code.</summary>
/// <param name="Source">The coding as the source wrote it.</param>
/// <param name="Category">The category code (system <c>http://fhirbridge.org/fhir/CodeSystem/category</c>).</param>
/// <param name="MatchedCode">The mapped code that matched: the normalised code itself, or its longest mapped prefix.</param>
/// <param name="IsPrefixMatch">True when <see cref="MatchedCode"/> is a prefix of the normalised code.</param>
/// <param name="ConceptMap">The canonical URL of the ConceptMap that holds the mapping.</param>
/// <param name="Equivalence">The ConceptMap equivalence (only those that count reach here).</param>
public sealed record CategoryMatch(
    SourceCoding Source,
    string Category,
    string MatchedCode,
    bool IsPrefixMatch,
    string ConceptMap,
    string Equivalence);
