namespace FhirBridge.Conformance;

/// <summary>A StructureDefinition ready to check instances against: its type and its differential elements, compiled.</summary>
/// <param name="Url">The canonical url.</param>
/// <param name="Type">The constrained type (<c>Patient</c>, or <c>Extension</c> for an extension definition).</param>
/// <param name="Rules">One rule per differential element, in the differential's order.</param>
internal sealed record CompiledProfile(string Url, string Type, IReadOnlyList<ElementRule> Rules)
{
    /// <summary>
    /// For each rule, the number of its parents' walk: rules whose parents are the same (the same
    /// <see cref="RuleNavigation.ParentKey"/>) share one; a rule without <see cref="ElementRule.Navigation"/> has its own.
    /// </summary>
    public int[] ParentGroup { get; } = GroupsOf(Rules);

    /// <summary>How many different parents' walks the rules have.</summary>
    public int ParentGroupCount => ParentGroup.Length == 0 ? 0 : ParentGroup.Max() + 1;

    private static int[] GroupsOf(IReadOnlyList<ElementRule> rules)
    {
        var groups = new Dictionary<string, int>(StringComparer.Ordinal);
        var result = new int[rules.Count];
        var next = 0;
        for (var i = 0; i < rules.Count; i++)
        {
            result[i] = rules[i].Navigation is { } navigation
                ? groups.TryGetValue(navigation.ParentKey, out var group) ? group : groups[navigation.ParentKey] = next++
                : next++;
        }

        return result;
    }
}
