using Hl7.Fhir.Model;

namespace FhirBridge.Reconcile;

/// <summary>What one subject's registry records need: one transaction, with why.</summary>
/// <param name="SubjectKey">The ResearchSubject identifier value.</param>
/// <param name="Reason">A code of <see cref="Registry.ProvenanceBuilder.Reasons"/>: subject-added, subject-updated, return-retracted or subject-retracted.</param>
/// <param name="Transaction">The transaction Bundle: conditional upserts, conditional deletes and the Provenance.</param>
public sealed record ChangeSet(string SubjectKey, string Reason, Bundle Transaction);
