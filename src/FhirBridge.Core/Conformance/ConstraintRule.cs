using Hl7.FhirPath;

namespace FhirBridge.Conformance;

/// <summary>An invariant of an element (ElementDefinition.constraint), its FHIRPath compiled once.</summary>
/// <param name="Key">The key, e.g. <c>fb-pat-1</c>: the violation's rule.</param>
/// <param name="Human">The human description: the violation's message (the profile's words, never the instance's).</param>
/// <param name="Expression">The compiled expression; it must evaluate to true on each instance of the element.</param>
/// <param name="Fast">The same expression for <see cref="FastInvariant"/>, which answers the common case (it holds) without the engine; null when outside its subset.</param>
internal sealed record ConstraintRule(string Key, string Human, CompiledExpression Expression, FastInvariant? Fast = null);
