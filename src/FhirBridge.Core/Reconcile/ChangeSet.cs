using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirBridge.Reconcile;

/// <summary>What one subject's registry records need: one transaction, with why.</summary>
/// <param name="SubjectKey">The ResearchSubject identifier value.</param>
/// <param name="Reason">A code of <see cref="Registry.ProvenanceBuilder.Reasons"/>: subject-added, subject-updated, return-retracted or subject-retracted.</param>
/// <param name="Transaction">The transaction Bundle: conditional upserts, conditional deletes and the Provenance.</param>
public sealed record ChangeSet(string SubjectKey, string Reason, Bundle Transaction)
{
    private static readonly FhirJsonSerializer Serializer = new();
    private string? _json;

    /// <summary>
    /// The transaction as FHIR JSON, exactly the text <see cref="FhirJsonSerializer"/> gives for <see cref="Transaction"/>
    /// as it was when the change set was made (the reconcile stage composes it from the records' JSON it already has;
    /// otherwise it is serialized on first use).
    /// </summary>
    public string Json
    {
        get => _json ??= Serializer.SerializeToString(Transaction);
        init => _json = value;
    }

    /// <summary>
    /// The projection rows this change set retracts (records the registry holds that the data no longer supports).
    /// Kept with the change set in the outbox: should the registry refuse it for good, these records are still in the
    /// registry, and they go back into the projection so that the patient's next recompute retracts them again
    /// (docs/registry.md, "Dead letters").
    /// </summary>
    public IReadOnlyList<ProjectedRecord> Retracted { get; init; } = [];
}
