using Hl7.Fhir.Model;

namespace FhirBridge.Reconcile;

/// <summary>What one subject's registry records need: one transaction, with why (create, update or retract).</summary>
/// <param name="SubjectKey">The ResearchSubject identifier value.</param>
/// <param name="Kind"><c>create</c>, <c>update</c> or <c>retract</c>.</param>
/// <param name="Transaction">The transaction Bundle of conditional upserts.</param>
public sealed record ChangeSet(string SubjectKey, string Kind, Bundle Transaction);
