using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using FhirBridge.Reconcile;
using FhirBridge.Registry;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirBridge.Tests.Reconcile;

/// <summary>
/// The reconcile stage writes each record's JSON once into a UTF-8 buffer and hashes those bytes: over every reconcile
/// of the synthetic sample, the projection's text is Firely's text for the record and its hash the SHA-256 of that
/// text, and each Provenance's id is the one the text-built fingerprint and id give (what the stage did before).
/// </summary>
public class ReconcileTextTests
{
    private static readonly FhirJsonSerializer Serializer = new();

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    [Fact]
    public void Reconcile_EveryReconcileOfTheSample_ProjectionIsFirelysTextAndProvenanceIdAsFromText()
    {
        var (records, changeSets) = (0, 0);
        foreach (var reconciled in SampleChangeSets.Reconciles())
        {
            Assert.Equal(reconciled.Records.Count, reconciled.Projection.Count);
            for (var i = 0; i < reconciled.Records.Count; i++)
            {
                var (record, projected) = (reconciled.Records[i], reconciled.Projection[i]);
                var firely = Serializer.SerializeToString(record.Resource);
                Assert.Equal(firely, projected.Json);
                Assert.Equal(Sha256(firely), projected.Hash);
                Assert.Equal($"{record.Key.Type}|{record.Key.System}|{record.Key.Value}", projected.RecordKey);
                records++;
            }

            foreach (var change in reconciled.Changes)
            {
                Assert.Equal(ProvenanceIdFromText(change, reconciled.Projection), Sent<Provenance>(change).Id);
                changeSets++;
            }
        }

        Assert.True(records > 1000 && changeSets > 300, $"{records} records, {changeSets} change sets");
    }

    [Fact]
    public void Reconcile_SameRecordsAgain_ProjectionKeepsTheTextHeld()
    {
        var reconciled = SampleChangeSets.Reconciles().First(r => r.Kind == SampleChangeSets.Kind.Added && r.Records.Count > 0);
        RegistryRecord study = new(RegistryKey.Parse("ResearchStudy|urn:study|s"), string.Empty, new ResearchStudy { Status = ResearchStudy.ResearchStudyStatus.Active });
        var (again, changes) = Reconciler.Reconcile("hospital-a", study, reconciled.Records, reconciled.Projection, DateTimeOffset.UnixEpoch);

        Assert.Empty(changes);
        Assert.Equal(reconciled.Projection, again);
        Assert.All(again, (p, i) => Assert.Same(reconciled.Projection[i].Json, p.Json));
    }

    [Fact]
    public void Reconcile_OnSeveralThreadsAtOnce_GivesWhatItGivesOnOne()
    {
        // Each thread writes into its own buffer; Firely's serializer and the key texts are shared.
        var reconciles = SampleChangeSets.Reconciles().Where(r => r.Kind == SampleChangeSets.Kind.Added && r.Records.Count > 0).Take(40).ToList();
        var study = new RegistryRecord(RegistryKey.Parse("ResearchStudy|urn:study|s"), string.Empty, new ResearchStudy { Status = ResearchStudy.ResearchStudyStatus.Active });
        var at = DateTimeOffset.UnixEpoch;
        var alone = reconciles.Select(r => Texts(Reconciler.Reconcile("hospital-a", study, r.Records, [], at))).ToList();

        var together = new List<string>[reconciles.Count];
        Parallel.For(0, reconciles.Count * 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            var texts = Texts(Reconciler.Reconcile("hospital-a", study, reconciles[i % reconciles.Count].Records, [], at));
            Assert.Equal(alone[i % reconciles.Count], texts);
            together[i % reconciles.Count] = texts;
        });

        Assert.Equal(alone, together);

        static List<string> Texts((IReadOnlyList<ProjectedRecord> Projection, IReadOnlyList<ChangeSet> Changes) result) =>
            [.. result.Projection.Select(p => p.Hash + p.Json), .. result.Changes.Select(c => c.Json)];
    }

    private static T Sent<T>(ChangeSet change)
        where T : Resource => change.Transaction.Entry.Select(e => e.Resource).OfType<T>().Single();

    // The fingerprint and id as they were built from strings: the upserts' projection hashes (their JSON for the
    // others), one a line; then subject, reason, time, fingerprint and every key, one a line.
    private static string ProvenanceIdFromText(ChangeSet change, IReadOnlyList<ProjectedRecord> projection)
    {
        var hashes = projection.ToDictionary(p => RegistryKey.Parse(p.RecordKey).RequestUrl, p => p.Hash);
        var upserts = change.Transaction.Entry.Where(e => e.Request!.Method == Bundle.HTTPVerb.PUT && e.Resource is not Provenance).ToList();
        var fingerprint = Sha256(string.Join('\n', upserts.Select(e => hashes.TryGetValue(e.Request!.Url!, out var hash) ? hash : Serializer.SerializeToString(e.Resource!))));

        var provenance = Sent<Provenance>(change);
        var text = new StringBuilder(change.SubjectKey).Append('\n').Append(change.Reason).Append('\n')
            .Append(provenance.Recorded!.Value.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)).Append('\n').Append(fingerprint);
        var targets = provenance.Target;
        for (var i = 0; i < targets.Count; i++)
        {
            text.Append(i < upserts.Count ? "\n" : "\n-").Append(targets[i].Type).Append('|').Append(targets[i].Identifier!.System).Append('|').Append(targets[i].Identifier!.Value);
        }

        return "fb-" + Sha256(text.ToString())[..48];
    }
}
