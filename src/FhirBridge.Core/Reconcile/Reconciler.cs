using System.Security.Cryptography;
using System.Text;
using FhirBridge.Registry;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirBridge.Reconcile;

/// <summary>
/// The RECONCILE stage: compares a patient's newly computed registry records with what was last handed to the
/// registry (the projection) and yields the change sets that make the registry equal to what the data supports
/// (architecture principle 1: recompute per patient, never patch). Pure: no I/O.
/// </summary>
public static class Reconciler
{
    private static readonly FhirJsonSerializer Serializer = new();
    private static readonly FhirJsonDeserializer Deserializer = new();

    /// <summary>The new projection and the change sets, one per subject whose records changed, appeared or went away.</summary>
    /// <param name="study">The ResearchStudy record, sent with every change set (a conditional upsert never duplicates it).</param>
    /// <param name="records">The patient's records as computed now.</param>
    /// <param name="previous">The patient's records as last handed to the registry.</param>
    public static (IReadOnlyList<ProjectedRecord> Projection, IReadOnlyList<ChangeSet> Changes) Reconcile(
        RegistryRecord study, IReadOnlyList<RegistryRecord> records, IReadOnlyList<ProjectedRecord> previous)
    {
        var before = previous.ToDictionary(p => p.RecordKey, StringComparer.Ordinal);
        var projection = new List<ProjectedRecord>();
        var changedSubjects = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var record in records)
        {
            var json = Serializer.SerializeToString(record.Resource);
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)));
            projection.Add(new ProjectedRecord(record.Key.ToString(), record.SubjectKey, hash, json, record.OpenUntil));
            if (!before.TryGetValue(record.Key.ToString(), out var held))
            {
                // A new ResearchSubject makes its change set a create, whatever else in it changed.
                if (record.Key.Type == "ResearchSubject")
                {
                    changedSubjects[record.SubjectKey] = "create";
                }
                else
                {
                    changedSubjects.TryAdd(record.SubjectKey, "update");
                }
            }
            else if (held.Hash != hash)
            {
                changedSubjects.TryAdd(record.SubjectKey, "update");
            }
        }

        // What the registry holds but the data no longer supports: no active record may claim it. A withdrawn
        // subject, and Procedures marked entered-in-error (the registry-push stage refines this per profile).
        var current = projection.Select(p => p.RecordKey).ToHashSet(StringComparer.Ordinal);
        var retracted = previous.Where(p => !current.Contains(p.RecordKey)).ToList();
        foreach (var gone in retracted)
        {
            changedSubjects[gone.SubjectKey] = RegistryKey.Parse(gone.RecordKey).Type == "ResearchSubject" ? "retract" : changedSubjects.GetValueOrDefault(gone.SubjectKey, "update");
        }

        var changes = new List<ChangeSet>();
        var patient = records.FirstOrDefault(r => r.Key.Type == "Patient");
        foreach (var (subjectKey, kind) in changedSubjects)
        {
            var entries = new List<RegistryRecord> { study };
            if (patient is not null)
            {
                entries.Add(patient);
            }

            entries.AddRange(records.Where(r => r.SubjectKey == subjectKey && r.Key.Type != "Patient"));
            entries.AddRange(retracted.Where(p => p.SubjectKey == subjectKey).Select(Withdraw).OfType<RegistryRecord>());
            changes.Add(new ChangeSet(subjectKey, kind, TransactionBundle.Of(entries)));
        }

        return (projection, changes);
    }

    private static RegistryRecord? Withdraw(ProjectedRecord gone)
    {
        var key = RegistryKey.Parse(gone.RecordKey);
        var resource = Deserializer.DeserializeResource(gone.Json);
        switch (resource)
        {
            case ResearchSubject subject:
                subject.Status = ResearchSubject.ResearchSubjectStatus.Withdrawn;
                break;
            case Procedure procedure:
                procedure.Status = EventStatus.EnteredInError;
                break;
            default:
                return null; // a Patient with no subject left stays: it identifies no one and claims nothing
        }

        return new RegistryRecord(key, gone.SubjectKey, resource);
    }
}
