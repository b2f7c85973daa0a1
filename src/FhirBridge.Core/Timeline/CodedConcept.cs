namespace FhirBridge.Timeline;

/// <summary>
/// A CodeableConcept reduced to its codings, plus the categories the MAP stage found for them.
/// Ingest fills <see cref="Codings"/>; <see cref="Mapping.TimelineMapper"/> fills <see cref="Matches"/>.
/// </summary>
public sealed record CodedConcept(IReadOnlyList<SourceCoding> Codings)
{
    /// <summary>An empty concept.</summary>
    public static readonly CodedConcept None = new([]);

    /// <summary>The categories its codings map to, through mappings whose equivalence counts.</summary>
    public IReadOnlyList<CategoryMatch> Matches { get; init; } = [];

    /// <summary>True when one of its codings maps to <paramref name="category"/>.</summary>
    public bool Has(string category) => Matches.Any(m => m.Category == category);

    /// <summary>The first match (in coding order) whose category is one of <paramref name="categories"/>.</summary>
    public CategoryMatch? FirstOf(IReadOnlyCollection<string> categories) =>
        Matches.FirstOrDefault(m => categories.Contains(m.Category));
}
