namespace FhirBridge.Conformance;

/// <summary>A StructureDefinition ready to check instances against: its type and its differential elements, compiled.</summary>
/// <param name="Url">The canonical url.</param>
/// <param name="Type">The constrained type (<c>Patient</c>, or <c>Extension</c> for an extension definition).</param>
/// <param name="Rules">One rule per differential element, in the differential's order.</param>
internal sealed record CompiledProfile(string Url, string Type, IReadOnlyList<ElementRule> Rules);
