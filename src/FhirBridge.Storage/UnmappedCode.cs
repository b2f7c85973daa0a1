namespace FhirBridge.Storage;

/// <summary>
/// A source code that no mapping covers, over every stored <c>unmapped</c> decision: the list a registry admin turns
/// into a ConceptMap.
/// </summary>
/// <param name="System">The code system as sent (empty when the coding had none).</param>
/// <param name="Code">The code as sent.</param>
/// <param name="Decisions">How many unmapped decisions name it.</param>
/// <param name="Sources">The configured sources it was seen in, sorted.</param>
/// <param name="Examples">A few resources that carry it (<c>Type/id/_history/version</c>), sorted.</param>
public sealed record UnmappedCode(string System, string Code, int Decisions, IReadOnlyList<string> Sources, IReadOnlyList<string> Examples);
