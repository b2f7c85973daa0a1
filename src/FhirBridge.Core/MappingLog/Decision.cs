namespace FhirBridge.MappingLog;

/// <summary>What a mapping-log entry decided.</summary>
public static class Decision
{
    /// <summary>A source code reached a category through a ConceptMap, exactly.</summary>
    public const string Mapped = "mapped";

    /// <summary>A source code reached a category through its longest mapped ICD prefix.</summary>
    public const string PrefixMatch = "prefix-match";

    /// <summary>A source code the rules read reached no category (or only through an equivalence that does not count).</summary>
    public const string Unmapped = "unmapped";

    /// <summary>The rule filled a gap with its documented default (theatre from the code, a reason presumed related, a partial date).</summary>
    public const string Assumed = "assumed";

    /// <summary>A resource the rule needed is not in the input; the decision went on without it.</summary>
    public const string Missing = "missing";

    /// <summary>An operation became an index operation: one registry subject.</summary>
    public const string Index = "index";

    /// <summary>A candidate return counted as an unplanned return to theatre.</summary>
    public const string Counted = "counted";

    /// <summary>A candidate return, a refused index operation, or a resource the rule set aside, with its reason.</summary>
    public const string Excluded = "excluded";

    /// <summary>Input that could not be parsed or failed the SDK's validation.</summary>
    public const string Quarantined = "quarantined";
}
