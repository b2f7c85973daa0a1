using System.Globalization;
using System.Security.Cryptography;
using Hl7.Fhir.Model;

namespace FhirBridge.Registry;

/// <summary>
/// The Provenance of one change set (docs/registry.md, "Provenance"): the registry resources it writes or removes as
/// targets, the hospital resources they were made from as entities (pseudonyms and versions, never ids), FhirBridge
/// as the assembling agent, the time it was recorded, and why. R4 Provenance has no identifier, so it is written at
/// an id derived from its content: a change set sent twice writes one Provenance.
/// </summary>
public static class ProvenanceBuilder
{
    /// <summary>Why a change set was made: a code of <see cref="RegistryModel.ChangeReasonSystem"/>.</summary>
    public static class Reasons
    {
        /// <summary>The source data now supports a subject the registry did not hold.</summary>
        public const string SubjectAdded = "subject-added";

        /// <summary>The source data changed what the registry holds for a subject.</summary>
        public const string SubjectUpdated = "subject-updated";

        /// <summary>The source data no longer supports a return: its AdverseEvent is removed.</summary>
        public const string ReturnRetracted = "return-retracted";

        /// <summary>The source data no longer supports the subject: it is withdrawn.</summary>
        public const string SubjectRetracted = "subject-retracted";
    }

    private const string DataOperation = "http://terminology.hl7.org/CodeSystem/v3-DataOperation";
    private const string ParticipantType = "http://terminology.hl7.org/CodeSystem/provenance-participant-type";
    private const string IdPrefix = "fb-";

    /// <summary>Builds the Provenance record of a change set.</summary>
    /// <param name="sourceName">The hospital source the entities come from.</param>
    /// <param name="subjectKey">The ResearchSubject identifier value the change set is about.</param>
    /// <param name="reason">One of <see cref="Reasons"/>.</param>
    /// <param name="study">The ResearchStudy record.</param>
    /// <param name="upserts">The records the change set writes.</param>
    /// <param name="deletes">The records it removes.</param>
    /// <param name="recorded">When FhirBridge made the change set.</param>
    /// <param name="fingerprint">A hash of the content of the upserts, so that two different change sets never share an id.</param>
    public static RegistryRecord Build(
        string sourceName,
        string subjectKey,
        string reason,
        RegistryRecord study,
        IReadOnlyList<RegistryRecord> upserts,
        IReadOnlyList<RegistryKey> deletes,
        DateTimeOffset recorded,
        string fingerprint)
    {
        recorded = recorded.AddTicks(-(recorded.Ticks % TimeSpan.TicksPerMillisecond)); // FHIR instants to the millisecond
        var provenance = new Provenance
        {
            Meta = new Meta { Profile = [RegistryModel.ProvenanceProfile] },
            Recorded = recorded,
            Activity = new CodeableConcept(DataOperation, reason switch
            {
                Reasons.SubjectAdded => "CREATE",
                Reasons.SubjectUpdated => "UPDATE",
                _ => "NULLIFY", // a retraction: what the registry held is now known not to hold
            }),
            Reason = [new CodeableConcept(RegistryModel.ChangeReasonSystem, reason)],
            Agent =
            [
                new Provenance.AgentComponent
                {
                    Type = new CodeableConcept(ParticipantType, "assembler"),
                    Who = new ResourceReference { Display = "FhirBridge" },
                },
            ],
        };

        foreach (var record in upserts)
        {
            provenance.Target.Add(new ResourceReference(record.FullUrl) { Type = record.Key.Type, Identifier = Identifier(record.Key) });
        }

        // A removed record has no id left to point to: it is named by its identifier.
        foreach (var key in deletes)
        {
            provenance.Target.Add(new ResourceReference { Type = key.Type, Identifier = Identifier(key) });
        }

        foreach (var source in Entities(upserts))
        {
            var entity = new Provenance.EntityComponent
            {
                Role = Provenance.ProvenanceEntityRole.Source,
                What = new ResourceReference
                {
                    Type = source.Type,
                    Identifier = new Identifier(RegistryModel.SourceResourceSystem, source.Pseudonym) { Assigner = new ResourceReference { Display = sourceName } },
                },
            };
            if (source.VersionId is { } version)
            {
                entity.Extension.Add(new Extension(RegistryModel.SourceVersionExtension, new FhirString(version)));
            }

            provenance.Entity.Add(entity);
        }

        var subjectLink = new RegistryKey("ResearchSubject", RegistryModel.SubjectSystem, subjectKey);
        provenance.Extension.Add(new Extension(RegistryModel.ResearchSubjectExtension, new ResourceReference(subjectLink.FullUrl)
        {
            Type = subjectLink.Type,
            Identifier = Identifier(subjectLink),
        }));
        provenance.Extension.Add(new Extension(RegistryModel.ResearchStudyExtension, new ResourceReference(study.FullUrl)));

        var id = Id(subjectKey, reason, upserts, deletes, recorded, fingerprint);
        provenance.Id = id;
        return new RegistryRecord(RegistryKey.ById("Provenance", id), subjectKey, provenance);
    }

    private static Identifier Identifier(RegistryKey key) => new(key.System, key.Value);

    // The distinct sources of the upserts by type, then pseudonym; sources equal in both (another version of the same
    // resource) stay in the order they were first met.
    private static List<SourceEntity> Entities(IReadOnlyList<RegistryRecord> upserts)
    {
        var seen = new HashSet<SourceEntity>();
        var sorted = new List<SourceEntity>();
        foreach (var record in upserts)
        {
            foreach (var source in record.Sources)
            {
                if (!seen.Add(source))
                {
                    continue;
                }

                // An insertion sort, stable like the OrderBy it stands for; the sources come mostly in order already.
                var at = sorted.Count;
                while (at > 0 && Compare(sorted[at - 1], source) > 0)
                {
                    at--;
                }

                sorted.Insert(at, source);
            }
        }

        return sorted;

        static int Compare(SourceEntity a, SourceEntity b)
        {
            var byType = string.CompareOrdinal(a.Type, b.Type);
            return byType != 0 ? byType : string.CompareOrdinal(a.Pseudonym, b.Pseudonym);
        }
    }

    // Derived from everything the change set says, including when: a retry of the same change set (the outbox keeps
    // the Bundle as it was first made) writes the same Provenance; a later change set, even an equal one, its own.
    private static string Id(
        string subjectKey, string reason, IReadOnlyList<RegistryRecord> upserts, IReadOnlyList<RegistryKey> deletes, DateTimeOffset recorded, string fingerprint)
    {
        // The time as StringBuilder.Append(long) wrote it: in the current culture (which matters for a negative one only).
        using var text = Utf8Scratch.Rent();
        text.Append(subjectKey).Append('\n').Append(reason).Append('\n').Append(recorded.ToUnixTimeMilliseconds(), CultureInfo.CurrentCulture).Append('\n').Append(fingerprint);
        foreach (var record in upserts)
        {
            text.Append('\n').Append(record.Key.ToString());
        }

        foreach (var key in deletes)
        {
            text.Append('\n').Append('-').Append(key.ToString());
        }

        // A FHIR id is at most 64 characters of [A-Za-z0-9-.]: "fb-" and 48 of the hash's 64 hex digits.
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(text.Written, hash);
        Span<char> hex = stackalloc char[48];
        Convert.TryToHexStringLower(hash[..24], hex, out _);
        return string.Concat(IdPrefix, hex);
    }
}
