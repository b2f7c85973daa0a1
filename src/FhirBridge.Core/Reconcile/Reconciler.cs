using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Unicode;
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
        var before = new Dictionary<string, ProjectedRecord>(previous.Count, StringComparer.Ordinal);
        foreach (var held in previous)
        {
            before.Add(held.RecordKey, held);
        }

        var projection = new List<ProjectedRecord>(records.Count);
        var hashes = new Dictionary<RegistryKey, string>(records.Count);

        // Every resource is serialized once: its JSON is hashed, stored in the projection and spliced into the
        // change sets' Bundles (ChangeSetJson), by reference to the resource object.
        using var json = ResourceJson.Rent();
        var changed = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var record in records)
        {
            var recordKey = record.Key.ToString();
            var held = before.GetValueOrDefault(recordKey);
            CorrectOutcome(record, held);
            var written = json.Of(record.Resource);
            var hash = Hash(json[written]);
            hashes[record.Key] = hash;
            projection.Add(new ProjectedRecord(recordKey, record.SubjectKey, hash, Text(json, written, held, hash), record.OpenUntil) { Origin = record.Origin });
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
        var current = new HashSet<string>(projection.Count, StringComparer.Ordinal);
        foreach (var record in projection)
        {
            current.Add(record.RecordKey);
        }

        var retracted = new List<(ProjectedRecord Record, RegistryKey Key)>();
        foreach (var gone in previous)
        {
            if (!current.Contains(gone.RecordKey))
            {
                retracted.Add((gone, RegistryKey.Parse(gone.RecordKey)));
            }
        }

        foreach (var (gone, key) in retracted)
        {
            if (key.Type == "ResearchSubject")
            {
                changed[gone.SubjectKey] = ProvenanceBuilder.Reasons.SubjectRetracted;
            }
            else if (key.Type == "AdverseEvent" && changed.GetValueOrDefault(gone.SubjectKey) != ProvenanceBuilder.Reasons.SubjectRetracted)
            {
                changed[gone.SubjectKey] = ProvenanceBuilder.Reasons.ReturnRetracted;
            }
            else
            {
                changed.TryAdd(gone.SubjectKey, ProvenanceBuilder.Reasons.SubjectUpdated);
            }
        }

        var changes = new List<ChangeSet>(changed.Count);
        if (changed.Count == 0)
        {
            return (projection, changes);
        }

        // Every change set carries the Patient, so that the references of its records resolve in the transaction:
        // the current one, or, when the patient has no subject left, the one the registry holds (sent unchanged).
        var patient = CurrentPatient(records) ?? HeldPatient(previous);
        foreach (var (subjectKey, reason) in changed)
        {
            var upserts = new List<RegistryRecord> { study };
            if (patient is not null)
            {
                upserts.Add(patient);
            }

            foreach (var record in records)
            {
                if (record.SubjectKey == subjectKey && record.Key.Type != "Patient")
                {
                    upserts.Add(record);
                }
            }

            var deletes = new List<RegistryKey>();
            foreach (var (gone, key) in retracted)
            {
                if (gone.SubjectKey != subjectKey)
                {
                    continue;
                }

                if (key.Type == "AdverseEvent")
                {
                    deletes.Add(key); // R4 AdverseEvent has no status to withdraw it with
                }
                else if (Withdraw(key, gone) is { } withdrawn)
                {
                    upserts.Add(withdrawn);
                }
            }

            var fingerprint = Fingerprint(upserts, hashes, json);
            var provenance = ProvenanceBuilder.Build(sourceName, subjectKey, reason, study, upserts, deletes, recorded, fingerprint);
            var transaction = TransactionBundle.Of([.. upserts, provenance], deletes);
            changes.Add(new ChangeSet(subjectKey, reason, transaction)
            {
                Json = ChangeSetJson.Compose(transaction, json),
                Retracted = [.. retracted.Where(r => r.Record.SubjectKey == subjectKey).Select(r => r.Record)],
            });
        }

        return (projection, changes);
    }

    private static RegistryRecord? CurrentPatient(IReadOnlyList<RegistryRecord> records)
    {
        foreach (var record in records)
        {
            if (record.Key.Type == "Patient")
            {
                return record;
            }
        }

        return null;
    }

    private static RegistryRecord? HeldPatient(IReadOnlyList<ProjectedRecord> previous)
    {
        foreach (var held in previous)
        {
            var key = RegistryKey.Parse(held.RecordKey);
            if (key.Type == "Patient")
            {
                return new RegistryRecord(key, held.SubjectKey, Deserializer.DeserializeResource(held.Json)) { Origin = held.Origin };
            }
        }

        return null;
    }

    private static string Hash(ReadOnlySpan<byte> utf8)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(utf8, hash);
        return Convert.ToHexStringLower(hash);
    }

    // The record's JSON as a string: the text held already when it is the same (most records of a recompute), else
    // decoded from the bytes just written.
    private static string Text(ResourceJson json, ResourceJson.Segment written, ProjectedRecord? held, string hash)
    {
        var utf8 = json[written];
        if (held is not null && held.Hash == hash && held.Json.Length <= utf8.Length)
        {
            var chars = ArrayPool<char>.Shared.Rent(utf8.Length);
            try
            {
                if (Utf8.ToUtf16(utf8, chars, out _, out var length) == OperationStatus.Done && held.Json.AsSpan().SequenceEqual(chars.AsSpan(0, length)))
                {
                    return held.Json;
                }
            }
            finally
            {
                ArrayPool<char>.Shared.Return(chars);
            }
        }

        return Encoding.UTF8.GetString(utf8);
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

        return new RegistryRecord(key, gone.SubjectKey, resource) { Origin = gone.Origin };
    }

    // The SHA-256 of the upserts' hashes (their JSON for those not in the projection: the study, withdrawn records),
    // one a line.
    private static string Fingerprint(List<RegistryRecord> upserts, Dictionary<RegistryKey, string> hashes, ResourceJson json)
    {
        using var text = Utf8Scratch.Rent();
        for (var i = 0; i < upserts.Count; i++)
        {
            if (i > 0)
            {
                text.Append('\n');
            }

            if (hashes.TryGetValue(upserts[i].Key, out var hash))
            {
                text.Append(hash);
            }
            else
            {
                text.Append(json[json.Of(upserts[i].Resource)]);
            }
        }

        return Hash(text.Written);
    }
}
