using System.Security.Cryptography;
using System.Text;
using FhirBridge.Registry;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirBridge.Reconcile;

/// <summary>
/// The RECONCILE stage: compares a patient's newly computed registry records with what was last handed to the
/// registry (the projection) and yields the change sets that make the registry equal to what the data supports
/// (architecture principle 1: recompute per patient, never patch), each with its Provenance. Pure: no I/O.
/// </summary>
public static class Reconciler
{
    private static readonly FhirJsonSerializer Serializer = new();
    private static readonly FhirJsonDeserializer Deserializer = new();

    /// <summary>The new projection and the change sets, one per subject whose records changed, appeared or went away.</summary>
    /// <param name="sourceName">The hospital source (named in the Provenance entities).</param>
    /// <param name="study">The ResearchStudy record, sent with every change set (a conditional upsert never duplicates it).</param>
    /// <param name="records">The patient's records as computed now.</param>
    /// <param name="previous">The patient's records as last handed to the registry.</param>
    /// <param name="recorded">When the change sets are made (Provenance.recorded).</param>
    public static (IReadOnlyList<ProjectedRecord> Projection, IReadOnlyList<ChangeSet> Changes) Reconcile(
        string sourceName, RegistryRecord study, IReadOnlyList<RegistryRecord> records, IReadOnlyList<ProjectedRecord> previous, DateTimeOffset recorded)
    {
        var before = previous.ToDictionary(p => p.RecordKey, StringComparer.Ordinal);
        var projection = new List<ProjectedRecord>();
        var hashes = new Dictionary<RegistryKey, string>();

        // Every resource is serialized once: its JSON is hashed, stored in the projection and spliced into the
        // change sets' Bundles (ChangeSetJson), by reference to the resource object.
        var texts = new Dictionary<Resource, string>(ReferenceEqualityComparer.Instance);
        string Text(Resource resource)
        {
            if (!texts.TryGetValue(resource, out var text))
            {
                texts[resource] = text = Serializer.SerializeToString(resource);
            }

            return text;
        }

        var changed = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var record in records)
        {
            var held = before.GetValueOrDefault(record.Key.ToString());
            CorrectOutcome(record, held);
            var json = Text(record.Resource);
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)));
            hashes[record.Key] = hash;
            projection.Add(new ProjectedRecord(record.Key.ToString(), record.SubjectKey, hash, json, record.OpenUntil));
            if (held is null)
            {
                // A new ResearchSubject makes its change set an addition, whatever else in it changed.
                changed[record.SubjectKey] = record.Key.Type == "ResearchSubject" ? ProvenanceBuilder.Reasons.SubjectAdded : changed.GetValueOrDefault(record.SubjectKey, ProvenanceBuilder.Reasons.SubjectUpdated);
            }
            else if (held.Hash != hash)
            {
                changed.TryAdd(record.SubjectKey, ProvenanceBuilder.Reasons.SubjectUpdated);
            }
        }

        // What the registry holds but the data no longer supports: no active record may claim it (registry model,
        // "Retraction"). The subject is withdrawn, Procedures and Observations entered-in-error, AdverseEvents removed.
        var current = projection.Select(p => p.RecordKey).ToHashSet(StringComparer.Ordinal);
        var retracted = previous.Where(p => !current.Contains(p.RecordKey)).ToList();
        foreach (var gone in retracted)
        {
            var type = RegistryKey.Parse(gone.RecordKey).Type;
            if (type == "ResearchSubject")
            {
                changed[gone.SubjectKey] = ProvenanceBuilder.Reasons.SubjectRetracted;
            }
            else if (type == "AdverseEvent" && changed.GetValueOrDefault(gone.SubjectKey) != ProvenanceBuilder.Reasons.SubjectRetracted)
            {
                changed[gone.SubjectKey] = ProvenanceBuilder.Reasons.ReturnRetracted;
            }
            else
            {
                changed.TryAdd(gone.SubjectKey, ProvenanceBuilder.Reasons.SubjectUpdated);
            }
        }

        var changes = new List<ChangeSet>();

        // Every change set carries the Patient, so that the references of its records resolve in the transaction:
        // the current one, or, when the patient has no subject left, the one the registry holds (sent unchanged).
        var patient = records.FirstOrDefault(r => r.Key.Type == "Patient")
            ?? previous.Where(p => RegistryKey.Parse(p.RecordKey).Type == "Patient")
                .Select(p => new RegistryRecord(RegistryKey.Parse(p.RecordKey), p.SubjectKey, Deserializer.DeserializeResource(p.Json)))
                .FirstOrDefault();
        foreach (var (subjectKey, reason) in changed)
        {
            var upserts = new List<RegistryRecord> { study };
            if (patient is not null)
            {
                upserts.Add(patient);
            }

            upserts.AddRange(records.Where(r => r.SubjectKey == subjectKey && r.Key.Type != "Patient"));
            var deletes = new List<RegistryKey>();
            foreach (var gone in retracted.Where(p => p.SubjectKey == subjectKey))
            {
                var key = RegistryKey.Parse(gone.RecordKey);
                if (key.Type == "AdverseEvent")
                {
                    deletes.Add(key); // R4 AdverseEvent has no status to withdraw it with
                }
                else if (Withdraw(key, gone) is { } withdrawn)
                {
                    upserts.Add(withdrawn);
                }
            }

            var fingerprint = Fingerprint(upserts.Select(u => hashes.GetValueOrDefault(u.Key) ?? Text(u.Resource)));
            var provenance = ProvenanceBuilder.Build(sourceName, subjectKey, reason, study, upserts, deletes, recorded, fingerprint);
            var transaction = TransactionBundle.Of([.. upserts, provenance], deletes);
            changes.Add(new ChangeSet(subjectKey, reason, transaction) { Json = ChangeSetJson.Compose(transaction, Text) });
        }

        return (projection, changes);
    }

    // Registry model, "Outcome": once an outcome has been final, a different value is a correction of it, and stays
    // "corrected" from then on; the Observation keeps its identity.
    private static void CorrectOutcome(RegistryRecord record, ProjectedRecord? held)
    {
        if (held is null || record.Resource is not Observation { Status: ObservationStatus.Final } outcome
            || outcome.Meta?.Profile.Contains(RegistryModel.OutcomeObservationProfile) != true
            || Deserializer.DeserializeResource(held.Json) is not Observation before)
        {
            return;
        }

        var valueChanged = !outcome.Value.Matches(before.Value);
        if (before.Status == ObservationStatus.Corrected || (before.Status == ObservationStatus.Final && valueChanged))
        {
            outcome.Status = ObservationStatus.Corrected;
        }
    }

    private static RegistryRecord? Withdraw(RegistryKey key, ProjectedRecord gone)
    {
        var resource = Deserializer.DeserializeResource(gone.Json);
        switch (resource)
        {
            case ResearchSubject subject:
                subject.Status = ResearchSubject.ResearchSubjectStatus.Withdrawn;
                break;
            case Procedure procedure:
                procedure.Status = EventStatus.EnteredInError;
                break;
            case Observation observation:
                observation.Status = ObservationStatus.EnteredInError;
                break;
            default:
                return null; // a Patient with no subject left stays: it identifies no one and claims nothing
        }

        return new RegistryRecord(key, gone.SubjectKey, resource);
    }

    private static string Fingerprint(IEnumerable<string> parts) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', parts))));
}
