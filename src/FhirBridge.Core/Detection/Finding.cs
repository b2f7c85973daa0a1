namespace FhirBridge.Detection;

/// <summary>
/// The answer to one question the rule asks of an operation (in theatre? orthopaedics? planned? unrelated?), with the
/// clause that decided it and the evidence, so the mapping log can show why.
/// </summary>
/// <param name="Holds">The answer.</param>
/// <param name="Clause">The spec clause that decided it.</param>
/// <param name="Assumed">True when the answer is the rule's documented default rather than recorded fact.</param>
/// <param name="Evidence">The resources read (<c>Type/id</c>).</param>
/// <param name="Codes">The codes read (<c>system|code</c>).</param>
/// <param name="Detail">A short explanation from codes and rule names only.</param>
internal sealed record Finding(bool Holds, string Clause, bool Assumed, IReadOnlyList<string> Evidence, IReadOnlyList<string> Codes, string Detail);
