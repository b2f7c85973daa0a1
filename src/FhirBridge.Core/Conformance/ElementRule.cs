using Hl7.Fhir.Model;
using Hl7.FhirPath;

namespace FhirBridge.Conformance;

/// <summary>One differential element, compiled: where its instances are and what they must satisfy.</summary>
/// <param name="Id">The element id, e.g. <c>Procedure.performed[x].start</c> or <c>Patient.extension:researchSubject</c>.</param>
/// <param name="Parents">
/// Selects the parent element's instances from the root (for <c>Provenance.entity.what.identifier</c>:
/// <c>entity.what</c>); null when the parent is the root itself. Cardinality counts per parent instance, as FHIR does.
/// </param>
/// <param name="Step">Selects this element's occurrences under one parent, of any type (so a wrong type still counts); null for the root element.</param>
/// <param name="Min">The differential's min, or null when it sets none.</param>
/// <param name="Max">The differential's max, or null when it sets none or <c>*</c>.</param>
/// <param name="AllowedTypes">For a choice element the profile restricts (<c>performed[x]</c> typed Period, or renamed <c>effectivePeriod</c>): the FHIR type names allowed.</param>
/// <param name="Fixed">The fixed[x] value, if any.</param>
/// <param name="Pattern">The pattern[x] value, if any.</param>
/// <param name="Constraints">The invariants of severity error, compiled.</param>
/// <param name="ExtensionUrl">For an extension slice: the extension's url, which selects the slice and names the extension's own definition.</param>
internal sealed record ElementRule(
    string Id,
    CompiledExpression? Parents,
    CompiledExpression? Step,
    int? Min,
    int? Max,
    IReadOnlyList<string>? AllowedTypes,
    DataType? Fixed,
    DataType? Pattern,
    IReadOnlyList<ConstraintRule> Constraints,
    string? ExtensionUrl)
{
    /// <summary>
    /// <see cref="Parents"/> and <see cref="Step"/> as plain steps over the instance (what their FHIRPath does,
    /// without the engine's cost per call), or null where only the FHIRPath can say it (a parent restricted to a
    /// primitive type).
    /// </summary>
    public RuleNavigation? Navigation { get; init; }
}

/// <summary>The steps from the root to a rule's parents, and the step from a parent to the rule's occurrences.</summary>
/// <param name="ParentKey">The parents' FHIRPath (empty for the root): rules with the same parents share one walk per instance.</param>
/// <param name="ParentSteps">Empty when the parent is the root.</param>
/// <param name="Step">Null for the root element.</param>
internal sealed record RuleNavigation(string ParentKey, IReadOnlyList<NavigationStep> ParentSteps, NavigationStep? Step);

/// <summary>
/// One step: the children of that name (<c>`name`</c>), only the extensions with that url
/// (<c>.where(url = '...')</c>), only the instances of that type or a subtype (<c>.ofType(FHIR.Period)</c>).
/// </summary>
internal sealed record NavigationStep(string Name, string? ExtensionUrl, Type? OfType);
