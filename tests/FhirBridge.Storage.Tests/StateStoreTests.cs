using FhirBridge.MappingLog;
using FhirBridge.Reconcile;
using FhirBridge.Storage;

namespace FhirBridge.Tests.Storage;

/// <summary>The state store's contract, run against each store by a sealed subclass that makes its database.</summary>
public abstract class StateStoreTests : IAsyncLifetime
{
    private const string Source = "hospital-a";
    private StoreDatabase _database = null!;
    private IStateStore _store = null!;

    /// <summary>The database the tests run on.</summary>
    protected StoreDatabase Database => _database;

    /// <summary>The empty database the tests run on.</summary>
    protected abstract StoreDatabase CreateDatabase();

    public async Task InitializeAsync()
    {
        _database = CreateDatabase();
        await _database.CreateAsync();
        _store = _database.Open(TimeProvider.System);
        await _store.MigrateAsync(CancellationToken.None);
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    /// <summary>A projection row as the schema before rows per patient held it (SQLite's 5, PostgreSQL's 3).</summary>
    protected const string OldProjectionRow =
        "INSERT INTO projection (source, patient, record_key, subject_key, hash, json, open_until) VALUES ('h', 'p1', 'ResearchSubject|s1', 's1', 'h1', '{\"a\":1}', '2026-02-01T00:00:00.0000000Z');";

    /// <summary>After the migration: <see cref="OldProjectionRow"/> read back whole, and another patient may hold its key too.</summary>
    protected static async Task AssertMigratedProjectionAsync(IStateStore store)
    {
        Assert.Equal(
            new ProjectedRecord("ResearchSubject|s1", "s1", "h1", "{\"a\":1}", new DateTimeOffset(2026, 2, 1, 0, 0, 0, TimeSpan.Zero)),
            Assert.Single(await store.GetProjectionAsync("h", "p1", default)));
        Assert.Equal(["p1"], await store.GetPatientsToJudgeAgainAsync("h", new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero), default));
        await store.CommitRecomputeAsync("h", "p2", null, [new ProjectedRecord("ResearchSubject|s1", "s1", "h2", "{}", null)], [], [], default);
        Assert.Equal("h2", Assert.Single(await store.GetProjectionAsync("h", "p2", default)).Hash);
        Assert.Single(await store.GetProjectionAsync("h", "p1", default));
    }

    /// <summary>Two quarantine rows as the schema before fingerprints held them (SQLite's 6, PostgreSQL's 4): same origin, two reasons.</summary>
    protected const string OldQuarantineRows =
        "INSERT INTO quarantine (source, origin, resource_type, reason) VALUES ('h', 'Procedure?page=1#entry[1]', 'Procedure', 'bad'), ('h', 'Procedure?page=1#entry[1]', 'Procedure', 'worse');";

    /// <summary>The migrations before the one that adds the quarantine's fingerprint: the schema <see cref="OldQuarantineRows"/> is written in.</summary>
    protected static string[] MigrationsBeforeQuarantineFingerprint(IEnumerable<string> migrations) =>
        [.. migrations.TakeWhile(m => !m.Contains("ALTER TABLE quarantine ADD COLUMN fingerprint", StringComparison.Ordinal))];

    /// <summary>After the migration: <see cref="OldQuarantineRows"/> kept, each with its identity, and fingerprinted input told apart beside them.</summary>
    protected static async Task AssertMigratedQuarantineAsync(IStateStore store)
    {
        const string origin = "Procedure?page=1#entry[1]";
        Assert.Equal([new QuarantineItem(origin, "Procedure", "bad"), new QuarantineItem(origin, "Procedure", "worse")], await store.GetQuarantineAsync("h", default));

        // An item without a fingerprint still meets the old row; one with a fingerprint is an input of its own, once.
        await store.IngestAsync("h", new IngestBatch { Quarantined = [new QuarantineItem(origin, "Procedure", "bad")] }, default);
        await store.IngestAsync("h", new IngestBatch { Quarantined = [new QuarantineItem(origin, "Procedure", "bad") { Fingerprint = "f1" }] }, default);
        await store.IngestAsync("h", new IngestBatch { Quarantined = [new QuarantineItem(origin, "Procedure", "bad") { Fingerprint = "f1" }, new QuarantineItem(origin, "Procedure", "bad") { Fingerprint = "f2" }] }, default);

        Assert.Equal([null, null, "f1", "f2"], (await store.GetQuarantineAsync("h", default)).Select(q => q.Fingerprint));
    }

    // A projection row; its origin is the hospital resource whose patient makes it (null as on rows stored before origins).
    private static ProjectedRecord Record(string recordKey, string subjectKey, string? origin = null) => new(recordKey, subjectKey, "h-" + recordKey, "{}", null) { Origin = origin };

    private async Task RecomputeEveryDirtyPatientAsync()
    {
        foreach (var d in await _store.GetDirtyPatientsAsync(Source, 100, default))
        {
            await _store.CommitRecomputeAsync(Source, d.Patient, d.Generation, [], [], [], default);
        }
    }

    private static StoredResource Procedure(string id, string? version, string patient = "p1", string json = "{}") =>
        new("Procedure", id, version, null, patient, json);

    [StoreFact]
    public async Task Migrate_Twice_IsIdempotentAndKeepsData()
    {
        await _store.IngestAsync(Source, new IngestBatch { Resources = [Procedure("op1", "1")] }, default);

        var reopened = _database.Open(TimeProvider.System);
        await reopened.MigrateAsync(default);

        Assert.Single(await reopened.GetPatientResourcesAsync(Source, "p1", default));
    }

    [StoreFact]
    public async Task CommitRecomputes_Batch_StoresEachPatientsDetectionClearsOnlyUnchangedMarksAndQueuesInOrder()
    {
        await _store.IngestAsync(Source, new IngestBatch { Resources = [Procedure("op1", "1", "p1"), Procedure("op2", "1", "p2")] }, default);
        var read = (await _store.GetDirtyPatientsAsync(Source, 10, default)).ToDictionary(d => d.Patient, d => d.Generation);
        await _store.IngestAsync(Source, new IngestBatch { Resources = [Procedure("op3", "1", "p2")] }, default); // p2 changes again meanwhile

        await _store.CommitRecomputesAsync(Source,
        [
            new RecomputeCommit("p2", read["p2"], [], [new("s2", "{\"b\":2}")], [], "{\"d\":2}"),
            new RecomputeCommit("p1", read["p1"], [], [new("s1", "{\"b\":1}")], [], "{\"d\":1}"),
        ], default);

        Assert.Equal(["p2"], (await _store.GetDirtyPatientsAsync(Source, 10, default)).Select(d => d.Patient));
        Assert.Equal(["s2", "s1"], (await _store.GetPendingOutboxAsync(10, default)).Select(i => i.SubjectKey));
        var detections = new List<StoredDetection>();
        await foreach (var detection in _store.GetDetectionsAsync(Source, default))
        {
            detections.Add(detection);
        }

        Assert.Equal([new StoredDetection("p1", "{\"d\":1}"), new StoredDetection("p2", "{\"d\":2}")], detections);

        // A recompute without a detection removes the stored one: a report never reads a result older than the patient's last recompute.
        await _store.CommitRecomputeAsync(Source, "p1", null, [], [], [], default);
        var left = new List<string>();
        await foreach (var detection in _store.GetDetectionsAsync(Source, default))
        {
            left.Add(detection.Patient);
        }

        Assert.Equal(["p2"], left);
    }

    [StoreFact]
    public async Task IngestAndCommitRecomputes_RowsAlternatingSetAndMissingValues_StoreEachRowsOwnValues()
    {
        // One statement serves every row of a batch: a value missing from a row (NULL) must not take the row before's,
        // and a value set must not be lost to the NULL before it.
        var at = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);
        StoredResource[] resources =
        [
            new("Procedure", "op1", "1", at, "p1", "{\"n\":1}"),
            new("Procedure", "op2", null, null, "p1", "{\"n\":2}"),
            new("Procedure", "op3", "3", at.AddDays(1), "p2", "{\"n\":3}"),
            new("Location", "l1", null, null, null, "{\"n\":4}"),
            new("Location", "l2", "5", at.AddDays(2), null, "{\"n\":5}"),
        ];
        await _store.IngestAsync(Source, new IngestBatch
        {
            Resources = resources,
            Quarantined = [new("f.ndjson:1", "Procedure", "bad"), new("f.ndjson:2", null, "worse"), new("f.ndjson:3", "Encounter", "bad")],
            Watermarks = new Dictionary<string, string> { ["Procedure"] = "w1", ["Encounter"] = "w2" },
        }, default);

        Assert.Equal(resources[..2], await _store.GetPatientResourcesAsync(Source, "p1", default));
        Assert.Equal(resources[2..3], await _store.GetPatientResourcesAsync(Source, "p2", default));
        Assert.Equal(resources[3..], await _store.GetSharedResourcesAsync(Source, default));
        Assert.Equal(
            [new QuarantineItem("f.ndjson:1", "Procedure", "bad"), new QuarantineItem("f.ndjson:2", null, "worse"), new QuarantineItem("f.ndjson:3", "Encounter", "bad")],
            await _store.GetQuarantineAsync(Source, default));
        Assert.Equal("w2", await _store.GetWatermarkAsync(Source, "Encounter", default));

        var read = (await _store.GetDirtyPatientsAsync(Source, 10, default)).ToDictionary(d => d.Patient, d => d.Generation);
        ProjectedRecord[] p1 = [new("A|1", "s1", "h1", "{\"r\":1}", at), new("B|2", "s1", "h2", "{\"r\":2}", null), new("C|3", "s1", "h3", "{\"r\":3}", at.AddDays(3))];
        ProjectedRecord[] p2 = [new("D|4", "s2", "h4", "{\"r\":4}", null)];
        await _store.CommitRecomputesAsync(Source,
        [
            new RecomputeCommit("p1", read["p1"], p1, [new("s1", "{\"b\":1}", "check-1"), new("s1", "{\"b\":2}"), new("s1", "{\"b\":3}", "check-3")], [], null),
            new RecomputeCommit("p2", null, p2, [new("s2", "{\"b\":4}")], [], "{\"d\":2}"),
        ], default);

        Assert.Equal(p1, await _store.GetProjectionAsync(Source, "p1", default));
        Assert.Equal(p2, await _store.GetProjectionAsync(Source, "p2", default));
        Assert.Equal(
            [("s1", "{\"b\":1}", "check-1"), ("s1", "{\"b\":2}", null), ("s1", "{\"b\":3}", "check-3"), ("s2", "{\"b\":4}", (string?)null)],
            (await _store.GetPendingOutboxAsync(10, default)).Select(i => (i.SubjectKey, i.Bundle, i.CheckedBy)));
        Assert.Equal(["p2"], (await _store.GetDirtyPatientsAsync(Source, 10, default)).Select(d => d.Patient)); // no generation: left dirty
    }

    [StoreFact]
    public async Task GetPatientsResourcesAndProjections_Batch_GiveWhatEachPatientsOwnReadGives()
    {
        // Ids and keys chosen so that byte order differs from a culture's or case-insensitive order.
        await _store.IngestAsync(Source, new IngestBatch
        {
            Resources =
            [
                Procedure("op-b", "1", "p1", "{\"n\":1}"), Procedure("Op-a", "2", "p1", "{\"n\":2}"), Procedure("op-a", null, "p1", "{\"n\":3}"),
                new("Condition", "c1", "1", new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.FromHours(8)), "p1", "{\"n\":4}"),
                Procedure("op-c", "1", "p2", "{\"n\":5}"), Procedure("op-d", "1", "P2", "{\"n\":6}"),
                new("Location", "l1", "1", null, null, "{\"n\":7}"),
            ],
        }, default);
        var until = new DateTimeOffset(2026, 2, 1, 16, 0, 0, TimeSpan.Zero);
        await _store.CommitRecomputesAsync(Source,
        [
            new RecomputeCommit("p1", null, [new("ResearchSubject|x|b", "b", "h1", "{\"r\":1}", until), new("Patient|x|B", "b", "h2", "{\"r\":2}", null), new("Observation|x|a", "a", "h3", "{\"r\":3}", null)], [], [], null),
            new RecomputeCommit("P2", null, [new("Patient|x|z", "z", "h4", "{\"r\":4}", null)], [], [], null),
        ], default);
        await _store.CommitRecomputeAsync("hospital-b", "p1", null, [new("Patient|x|other", "o", "h5", "{}", null)], [], [], default);
        string[] asked = ["p3", "P2", "p1", "p2"];

        var resources = await _store.GetPatientsResourcesAsync(Source, asked, default);
        var projections = await _store.GetProjectionsAsync(Source, asked, default);

        Assert.Equal(asked.Order(StringComparer.Ordinal), resources.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(asked.Order(StringComparer.Ordinal), projections.Keys.Order(StringComparer.Ordinal));
        foreach (var patient in asked)
        {
            Assert.Equal(await _store.GetPatientResourcesAsync(Source, patient, default), resources[patient]);
            Assert.Equal(await _store.GetProjectionAsync(Source, patient, default), projections[patient]);
        }

        Assert.Equal(["Condition/c1", "Procedure/Op-a", "Procedure/op-a", "Procedure/op-b"], resources["p1"].Select(r => r.Type + "/" + r.Id));
        Assert.Equal(["Observation|x|a", "Patient|x|B", "ResearchSubject|x|b"], projections["p1"].Select(r => r.RecordKey));
        Assert.Equal(until, projections["p1"][2].OpenUntil);
        Assert.Empty(resources["p3"]);
        Assert.Empty(projections["p2"]);
        Assert.Empty(await _store.GetPatientsResourcesAsync(Source, [], default));
        Assert.Equal(["p1"], (await _store.GetProjectionsAsync(Source, ["p1", "p1"], default)).Keys);
    }

    [StoreFact]
    public async Task Ingest_OlderOrSameVersion_IsKeptOutAndDoesNotDirtyThePatient()
    {
        await _store.IngestAsync(Source, new IngestBatch { Resources = [Procedure("op1", "2", json: "{\"v\":2}")] }, default);
        var first = Assert.Single(await _store.GetDirtyPatientsAsync(Source, 10, default));
        await _store.CommitRecomputeAsync(Source, "p1", first.Generation, [], [], [], default);

        var outcome = await _store.IngestAsync(Source, new IngestBatch { Resources = [Procedure("op1", "1", json: "{\"v\":1}"), Procedure("op1", "2", json: "{\"v\":2}")] }, default);

        Assert.Equal((0, 2, 0), (outcome.Stored, outcome.Unchanged, outcome.PatientsMarkedDirty));
        Assert.Equal("{\"v\":2}", Assert.Single(await _store.GetPatientResourcesAsync(Source, "p1", default)).Json);
        Assert.Empty(await _store.GetDirtyPatientsAsync(Source, 10, default));
    }

    [StoreFact]
    public async Task Ingest_NewerVersion_ReplacesAndMarksDirty()
    {
        await _store.IngestAsync(Source, new IngestBatch { Resources = [Procedure("op1", "1")] }, default);
        await _store.IngestAsync(Source, new IngestBatch { Resources = [Procedure("op1", "10", json: "{\"v\":10}")] }, default);

        Assert.Equal("10", Assert.Single(await _store.GetPatientResourcesAsync(Source, "p1", default)).VersionId);
        Assert.Equal(2, Assert.Single(await _store.GetDirtyPatientsAsync(Source, 10, default)).Generation);
    }

    [StoreFact]
    public async Task CommitRecompute_PatientChangedAgainMeanwhile_StaysDirty()
    {
        await _store.IngestAsync(Source, new IngestBatch { Resources = [Procedure("op1", "1")] }, default);
        var read = Assert.Single(await _store.GetDirtyPatientsAsync(Source, 10, default));
        await _store.IngestAsync(Source, new IngestBatch { Resources = [Procedure("op2", "1")] }, default);

        await _store.CommitRecomputeAsync(Source, "p1", read.Generation, [], [], [], default);

        Assert.Single(await _store.GetDirtyPatientsAsync(Source, 10, default));
    }

    [StoreFact]
    public async Task Ingest_ResourceMovedToAnotherPatient_MarksBothPatientsDirty()
    {
        await _store.IngestAsync(Source, new IngestBatch { Resources = [Procedure("op1", "1", "p1"), Procedure("op2", "1", "p2"), Procedure("op3", "1", "p3")] }, default);
        await RecomputeEveryDirtyPatientAsync();

        // A wrong-patient correction: op1's new version belongs to p2; within one batch, op3 moves twice.
        var outcome = await _store.IngestAsync(Source, new IngestBatch { Resources = [Procedure("op1", "2", "p2"), Procedure("op3", "2", "p4"), Procedure("op3", "3", "p5")] }, default);

        Assert.Equal(["p1", "p2", "p3", "p4", "p5"], (await _store.GetDirtyPatientsAsync(Source, 10, default)).Select(d => d.Patient).Order(StringComparer.Ordinal));
        Assert.Equal(5, outcome.PatientsMarkedDirty);
        Assert.Empty(await _store.GetPatientResourcesAsync(Source, "p1", default));
        Assert.Equal(["op1", "op2"], (await _store.GetPatientResourcesAsync(Source, "p2", default)).Select(r => r.Id).Order(StringComparer.Ordinal));
    }

    [StoreFact]
    public async Task CommitRecomputes_RecordsMovedToAPatientCommittedFirst_AreHandedOverAndThatPatientIsMarkedAgain()
    {
        await _store.IngestAsync(Source, new IngestBatch { Resources = [Procedure("op1", "1", "p1"), Procedure("op2", "1", "p2")] }, default);
        await _store.CommitRecomputeAsync(Source, "p1", null, [Record("ResearchSubject|s1", "s1", "Procedure/op1"), Record("Procedure|s1", "s1", "Procedure/op1"), Record("Patient|a", "s1", "Patient/p1")], [], [], default);
        await _store.CommitRecomputeAsync(Source, "p2", null, [Record("ResearchSubject|s2", "s2", "Procedure/op2"), Record("Patient|b", "s2", "Patient/p2")], [], [], default);

        // A wrong-patient correction: op1, the operation of subject s1, now belongs to p2.
        await _store.IngestAsync(Source, new IngestBatch { Resources = [Procedure("op1", "2", "p2")] }, default);
        var read = (await _store.GetDirtyPatientsAsync(Source, 10, default)).ToDictionary(d => d.Patient, d => d.Generation);

        // Both judged from the state before: p2 now has subject s1, p1 no longer has it (and retracts it). p2 is
        // committed first, in the same batch.
        await _store.CommitRecomputesAsync(Source,
        [
            new RecomputeCommit("p2", read["p2"], [Record("ResearchSubject|s1", "s1", "Procedure/op1"), Record("Procedure|s1", "s1", "Procedure/op1"), Record("ResearchSubject|s2", "s2", "Procedure/op2"), Record("Patient|b", "s2", "Patient/p2")], [new("s1", "{\"add\":1}")], [], null),
            new RecomputeCommit("p1", read["p1"], [Record("Patient|a", "s1", "Patient/p1")], [new("s1", "{\"retract\":1}")], [], null),
        ], default);

        // p2 loses the rows p1 retracted after p2 sent them, and is dirty again: its next recompute sends s1 once more,
        // after the retraction. What p2 holds besides is kept, with its origins.
        Assert.Equal(["p2"], (await _store.GetDirtyPatientsAsync(Source, 10, default)).Select(d => d.Patient));
        Assert.Equal(
            [("Patient|b", "Patient/p2"), ("ResearchSubject|s2", "Procedure/op2")],
            (await _store.GetProjectionAsync(Source, "p2", default)).Select(r => (r.RecordKey, r.Origin)));
        Assert.Equal(["Patient|a"], (await _store.GetProjectionAsync(Source, "p1", default)).Select(r => r.RecordKey));
        Assert.Equal(["{\"add\":1}", "{\"retract\":1}"], (await _store.GetPendingOutboxAsync(10, default)).Select(i => i.Bundle));

        await _store.CommitRecomputesAsync(Source, [new RecomputeCommit("p2", Assert.Single(await _store.GetDirtyPatientsAsync(Source, 10, default)).Generation, [Record("ResearchSubject|s1", "s1", "Procedure/op1"), Record("Procedure|s1", "s1", "Procedure/op1"), Record("ResearchSubject|s2", "s2", "Procedure/op2"), Record("Patient|b", "s2", "Patient/p2")], [new("s1", "{\"add\":2}")], [], null)], default);

        Assert.Empty(await _store.GetDirtyPatientsAsync(Source, 10, default));
        Assert.Equal(4, (await _store.GetProjectionAsync(Source, "p2", default)).Count);
    }

    [StoreFact]
    public async Task CommitRecomputes_RecordsMovedFromAPatientCommittedFirst_NeedNoHandOver()
    {
        await _store.IngestAsync(Source, new IngestBatch { Resources = [Procedure("op1", "1", "p1")] }, default);
        await _store.CommitRecomputeAsync(Source, "p1", null, [Record("ResearchSubject|s1", "s1", "Procedure/op1"), Record("Patient|a", "s1", "Patient/p1")], [], [], default);
        await _store.IngestAsync(Source, new IngestBatch { Resources = [Procedure("op1", "2", "p2")] }, default);
        var marks = (await _store.GetDirtyPatientsAsync(Source, 10, default)).ToDictionary(d => d.Patient, d => d.Generation);

        await _store.CommitRecomputesAsync(Source,
        [
            new RecomputeCommit("p1", marks["p1"], [Record("Patient|a", "s1", "Patient/p1")], [new("s1", "{\"retract\":1}")], [], null),
            new RecomputeCommit("p2", marks["p2"], [Record("ResearchSubject|s1", "s1", "Procedure/op1"), Record("Patient|b", "s1", "Patient/p2")], [new("s1", "{\"add\":1}")], [], null),
        ], default);

        Assert.Empty(await _store.GetDirtyPatientsAsync(Source, 10, default));
        Assert.Equal(["Patient|b", "ResearchSubject|s1"], (await _store.GetProjectionAsync(Source, "p2", default)).Select(r => r.RecordKey));
        Assert.Equal(["{\"retract\":1}", "{\"add\":1}"], (await _store.GetPendingOutboxAsync(10, default)).Select(i => i.Bundle));
    }

    [StoreFact]
    public async Task CommitRecomputes_RecordHeldByAPatientItsOriginHasLeftSince_StaysWithThemForTheirOwnRetraction()
    {
        // op1 (subject s1) moved from p1 to p2, then on to p3: p2 and p3 each committed s1 while op1 was theirs.
        await _store.IngestAsync(Source, new IngestBatch { Resources = [Procedure("op1", "1", "p1")] }, default);
        await _store.CommitRecomputeAsync(Source, "p1", null, [Record("ResearchSubject|s1", "s1", "Procedure/op1")], [], [], default);
        await _store.IngestAsync(Source, new IngestBatch { Resources = [Procedure("op1", "2", "p2")] }, default);
        await _store.CommitRecomputeAsync(Source, "p2", null, [Record("ResearchSubject|s1", "s1", "Procedure/op1")], [new("s1", "{\"add\":2}")], [], default);
        await _store.IngestAsync(Source, new IngestBatch { Resources = [Procedure("op1", "3", "p3")] }, default);
        await _store.CommitRecomputeAsync(Source, "p3", null, [Record("ResearchSubject|s1", "s1", "Procedure/op1")], [new("s1", "{\"add\":3}")], [], default);

        // p1's retraction, queued after both additions.
        await _store.CommitRecomputesAsync(Source, [new RecomputeCommit("p1", null, [], [new("s1", "{\"retract\":1}")], [], null)], default);

        // p3, whose op1 is now, loses s1 and sends it again after the retraction. p2 keeps its row: it is dirty since
        // op1 left it, and its own recompute retracts s1, which hands the record over from p3 once more.
        Assert.Empty(await _store.GetProjectionAsync(Source, "p3", default));
        Assert.Equal(["ResearchSubject|s1"], (await _store.GetProjectionAsync(Source, "p2", default)).Select(r => r.RecordKey));
        Assert.Contains("p2", (await _store.GetDirtyPatientsAsync(Source, 10, default)).Select(d => d.Patient));
        Assert.Contains("p3", (await _store.GetDirtyPatientsAsync(Source, 10, default)).Select(d => d.Patient));

        var p3 = (await _store.GetDirtyPatientsAsync(Source, 10, default)).Single(d => d.Patient == "p3");
        await _store.CommitRecomputesAsync(Source, [new RecomputeCommit("p3", p3.Generation, [Record("ResearchSubject|s1", "s1", "Procedure/op1")], [new("s1", "{\"add\":4}")], [], null)], default);
        Assert.DoesNotContain("p3", (await _store.GetDirtyPatientsAsync(Source, 10, default)).Select(d => d.Patient));
        await _store.CommitRecomputesAsync(Source, [new RecomputeCommit("p2", null, [], [new("s1", "{\"retract\":2}")], [], null)], default);

        Assert.Empty(await _store.GetProjectionAsync(Source, "p3", default));
        Assert.Equal(
            ["{\"add\":2}", "{\"add\":3}", "{\"retract\":1}", "{\"add\":4}", "{\"retract\":2}"],
            (await _store.GetPendingOutboxAsync(10, default)).Select(i => i.Bundle));
        Assert.Contains("p3", (await _store.GetDirtyPatientsAsync(Source, 10, default)).Select(d => d.Patient));
    }

    [StoreFact]
    public async Task CommitRecomputes_RowsStoredWithoutAnOrigin_AreHandedOverByTheirKey()
    {
        // Rows as a build before origins stored them: who holds the record is found by its key alone.
        await _store.CommitRecomputeAsync(Source, "p1", null, [Record("ResearchSubject|s1", "s1")], [], [], default);
        await _store.CommitRecomputeAsync(Source, "p2", null, [Record("ResearchSubject|s1", "s1"), Record("ResearchSubject|s2", "s2")], [new("s1", "{\"add\":1}")], [], default);

        await _store.CommitRecomputesAsync(Source, [new RecomputeCommit("p1", null, [], [new("s1", "{\"retract\":1}")], [], null)], default);

        Assert.Equal(["ResearchSubject|s2"], (await _store.GetProjectionAsync(Source, "p2", default)).Select(r => r.RecordKey));
        Assert.Equal(["p2"], (await _store.GetDirtyPatientsAsync(Source, 10, default)).Select(d => d.Patient));
    }

    [StoreFact]
    public async Task CommitRecomputes_HandedOverPatientsStaleCommit_IsDroppedAndThePatientStaysDirty()
    {
        // Run 1: op1 (subject s1) moved from p1 to p2; p2's batch committed s1 (sent), then the run was cancelled
        // before p1's batch: p1 still holds s1.
        await _store.IngestAsync(Source, new IngestBatch { Resources = [Procedure("op1", "1", "p1")] }, default);
        await _store.CommitRecomputeAsync(Source, "p1", null, [Record("ResearchSubject|s1", "s1", "Procedure/op1"), Record("Procedure|s1", "s1", "Procedure/op1"), Record("Patient|a", "s1", "Patient/p1")], [], [], default);
        await _store.IngestAsync(Source, new IngestBatch { Resources = [Procedure("op1", "2", "p2")] }, default);
        var marks = (await _store.GetDirtyPatientsAsync(Source, 10, default)).ToDictionary(d => d.Patient, d => d.Generation);
        await _store.CommitRecomputeAsync(Source, "p2", marks["p2"], [Record("ResearchSubject|s1", "s1", "Procedure/op1"), Record("Procedure|s1", "s1", "Procedure/op1"), Record("ResearchSubject|s2", "s2", "Procedure/op2"), Record("Patient|b", "s2", "Patient/p2")], [new("s1", "{\"add\":1}")], [], default);

        // p1 still dirty (its older mark); p2 dirty again later with new data for its other subject s2.
        await _store.IngestAsync(Source, new IngestBatch { Resources = [Procedure("op2", "1", "p2")] }, default);
        var dirty = await _store.GetDirtyPatientsAsync(Source, 10, default);
        Assert.Equal(["p1", "p2"], dirty.Select(d => d.Patient));
        var read = await _store.GetProjectionsAsync(Source, ["p1", "p2"], default);

        // Run 2, one batch, both judged from the same snapshot: p1 retracts s1 (the hand-over takes s1 from p2 and
        // marks p2 dirty); p2's s1 records are what it holds (no change set for s1), its s2 changed.
        var dropped = await _store.CommitRecomputesAsync(Source,
        [
            new RecomputeCommit("p1", dirty[0].Generation, [Record("Patient|a", "s1", "Patient/p1")], [new("s1", "{\"retract\":1}")], [], null) { ProjectionVersion = read["p1"].Version },
            new RecomputeCommit("p2", dirty[1].Generation, [Record("ResearchSubject|s1", "s1", "Procedure/op1"), Record("Procedure|s1", "s1", "Procedure/op1"), new ProjectedRecord("ResearchSubject|s2", "s2", "changed", "{}", null) { Origin = "Procedure/op2" }, Record("Patient|b", "s2", "Patient/p2")], [new("s2", "{\"update\":2}")], [], null) { ProjectionVersion = read["p2"].Version },
        ], default);

        // p2's commit was computed from the rows the hand-over took, so it is dropped whole (its s2 update too): the
        // retraction stays the last change set of s1 and p2 no longer claims s1, so p2's next recompute, from what it
        // holds now, sends s1 again after the retraction, and its s2 update with it.
        Assert.Equal(["p2"], dropped.Select(c => c.Patient));
        Assert.Equal(["{\"add\":1}", "{\"retract\":1}"], (await _store.GetPendingOutboxAsync(10, default)).Select(i => i.Bundle));
        Assert.Equal(["p2"], (await _store.GetDirtyPatientsAsync(Source, 10, default)).Select(d => d.Patient));
        var p2 = await _store.GetProjectionAsync(Source, "p2", default);
        Assert.Equal(["Patient|b", "ResearchSubject|s2"], p2.Select(r => r.RecordKey));
        Assert.Equal("h-ResearchSubject|s2", p2[1].Hash);
        Assert.NotEqual(read["p2"].Version, p2.Version);
    }

    [StoreFact]
    public async Task CommitRecomputes_HandedOverPatientsStaleCommitInTheNextBatch_IsDropped()
    {
        // As above, but p2's recompute (read before p1's batch committed) is committed in the batch after it.
        await _store.IngestAsync(Source, new IngestBatch { Resources = [Procedure("op1", "1", "p2")] }, default);
        await _store.CommitRecomputeAsync(Source, "p1", null, [Record("ResearchSubject|s1", "s1", "Procedure/op1"), Record("Patient|a", "s1", "Patient/p1")], [], [], default);
        await _store.CommitRecomputeAsync(Source, "p2", null, [Record("ResearchSubject|s1", "s1", "Procedure/op1"), Record("Patient|b", "s1", "Patient/p2")], [new("s1", "{\"add\":1}")], [], default);
        var read = await _store.GetProjectionsAsync(Source, ["p1", "p2"], default);

        Assert.Empty(await _store.CommitRecomputesAsync(Source, [new RecomputeCommit("p1", null, [Record("Patient|a", "s1", "Patient/p1")], [new("s1", "{\"retract\":1}")], [], null) { ProjectionVersion = read["p1"].Version }], default));
        var dropped = await _store.CommitRecomputesAsync(Source, [new RecomputeCommit("p2", null, read["p2"], [], [], null) { ProjectionVersion = read["p2"].Version, ProjectionUnchanged = true }], default);

        Assert.Equal(["p2"], dropped.Select(c => c.Patient));
        Assert.Equal(["Patient|b"], (await _store.GetProjectionAsync(Source, "p2", default)).Select(r => r.RecordKey));
        Assert.Equal(["p2"], (await _store.GetDirtyPatientsAsync(Source, 10, default)).Select(d => d.Patient));
    }

    [StoreFact]
    public async Task CommitRecomputes_TwoRecomputesOfOnePatient_TheStaleOneCommittedLastIsDroppedAndLeavesThePatientDirty()
    {
        // Instance X reads p1 at op1 version 1 and computes.
        await _store.IngestAsync(Source, new IngestBatch { Resources = [Procedure("op1", "1", "p1")] }, default);
        var x = Assert.Single(await _store.GetDirtyPatientsAsync(Source, 10, default));
        var xRead = await _store.GetProjectionAsync(Source, "p1", default);

        // Instance Y (a run --once beside the cluster, or a job recovered from an instance taken for dead) pulls
        // version 2, reads p1 and commits first.
        await _store.IngestAsync(Source, new IngestBatch { Resources = [Procedure("op1", "2", "p1")] }, default);
        var y = Assert.Single(await _store.GetDirtyPatientsAsync(Source, 10, default));
        var yRead = await _store.GetProjectionAsync(Source, "p1", default);
        Assert.Empty(await _store.CommitRecomputesAsync(Source, [new RecomputeCommit("p1", y.Generation, [new ProjectedRecord("ResearchSubject|s1", "s1", "v2", "{}", null)], [new("s1", "{\"v\":2}")], [], null) { ProjectionVersion = yRead.Version }], default));
        Assert.Empty(await _store.GetDirtyPatientsAsync(Source, 10, default));

        // X commits what it computed from version 1, after Y: dropped, so the registry gets v2 last and the projection says v2.
        var dropped = await _store.CommitRecomputesAsync(Source, [new RecomputeCommit("p1", x.Generation, [new ProjectedRecord("ResearchSubject|s1", "s1", "v1", "{}", null)], [new("s1", "{\"v\":1}")], [], null) { ProjectionVersion = xRead.Version }], default);

        Assert.Single(dropped);
        Assert.Equal("v2", Assert.Single(await _store.GetProjectionAsync(Source, "p1", default)).Hash);
        Assert.Equal("{\"v\":2}", Assert.Single(await _store.GetPendingOutboxAsync(10, default)).Bundle);

        // ... and p1 is marked dirty again: judged once more on what is held now, which changes nothing.
        Assert.Equal(["p1"], (await _store.GetDirtyPatientsAsync(Source, 10, default)).Select(d => d.Patient));
    }

    [StoreFact]
    public async Task CommitRecomputes_StaleCommit_WritesNothingAndMarksThePatientDirty()
    {
        await _store.IngestAsync(Source, new IngestBatch { Resources = [Procedure("op1", "1", "p1"), Procedure("op2", "1", "p2")] }, default);
        var dirty = (await _store.GetDirtyPatientsAsync(Source, 10, default)).ToDictionary(d => d.Patient, d => d.Generation);
        var read = await _store.GetProjectionsAsync(Source, ["p1", "p2"], default);
        Assert.Equal(0, read["p1"].Version);
        var entry = new MappingLogEntry("Procedure/op1/_history/1", Decision.Counted, "verdict", "unplanned-return");
        await _store.CommitRecomputesAsync(Source, [new RecomputeCommit("p1", null, [Record("ResearchSubject|s1", "s1")], [new("s1", "{\"a\":1}")], [entry], "{\"d\":1}") { ProjectionVersion = read["p1"].Version }], default);
        var log = await _store.QueryMappingLogAsync(new MappingLogQuery(), default);
        var outbox = await _store.GetPendingOutboxAsync(10, default);

        // p1's commit computed from the read before the one above, and p2's applied beside it in the same batch.
        var dropped = await _store.CommitRecomputesAsync(Source,
        [
            new RecomputeCommit("p1", dirty["p1"], [Record("ResearchSubject|s9", "s9")], [new("s9", "{\"stale\":1}")], [entry with { Source = "Procedure/op1/_history/0" }], "{\"stale\":1}") { ProjectionVersion = read["p1"].Version },
            new RecomputeCommit("p2", dirty["p2"], [Record("ResearchSubject|s2", "s2")], [new("s2", "{\"b\":1}")], [], null) { ProjectionVersion = read["p2"].Version },
        ], default);

        Assert.Equal(["p1"], dropped.Select(c => c.Patient));
        Assert.Equal([.. outbox.Select(i => i.Bundle), "{\"b\":1}"], (await _store.GetPendingOutboxAsync(10, default)).Select(i => i.Bundle));
        Assert.Equal(["Procedure/op1/_history/1"], log.Records.Select(r => r.Entry.Source));
        Assert.Equal(["Procedure/op1/_history/1"], (await _store.QueryMappingLogAsync(new MappingLogQuery(), default)).Records.Select(r => r.Entry.Source));
        Assert.Equal(["ResearchSubject|s1"], (await _store.GetProjectionAsync(Source, "p1", default)).Select(r => r.RecordKey));
        var detections = new List<StoredDetection>();
        await foreach (var detection in _store.GetDetectionsAsync(Source, default))
        {
            detections.Add(detection);
        }

        Assert.Equal([new StoredDetection("p1", "{\"d\":1}")], detections);

        // Its generation was the one read, so an applied commit would have cleared the mark; a dropped one leaves it.
        Assert.Equal(["p1"], (await _store.GetDirtyPatientsAsync(Source, 10, default)).Select(d => d.Patient));
    }

    /// <summary>
    /// After the migration that added projection versions: a patient projected before it reads version 0, a commit
    /// computed from that read is applied, and one computed from it again afterwards is dropped.
    /// </summary>
    protected static async Task AssertMigratedVersionsAsync(IStateStore store)
    {
        var read = await store.GetProjectionAsync("h", "p1", default);
        Assert.Equal((1, 0L), (read.Count, read.Version));
        Assert.Equal(0, (await store.GetProjectionAsync("h", "p9", default)).Version);

        Assert.Empty(await store.CommitRecomputesAsync("h", [new RecomputeCommit("p1", null, [], [new("s1", "{\"retract\":1}")], [], null) { ProjectionVersion = read.Version }], default));
        var dropped = await store.CommitRecomputesAsync("h", [new RecomputeCommit("p1", null, read, [], [], null) { ProjectionVersion = read.Version }], default);

        Assert.Single(dropped);
        Assert.Empty(await store.GetProjectionAsync("h", "p1", default));
        Assert.Equal(1, (await store.GetProjectionAsync("h", "p1", default)).Version);
    }

    [StoreFact]
    public async Task Ingest_SharedResourceChanges_MarksEveryPatientOfTheSourceDirty()
    {
        await _store.IngestAsync(Source, new IngestBatch { Resources = [Procedure("op1", "1", "p1"), Procedure("op2", "1", "p2")] }, default);
        foreach (var d in await _store.GetDirtyPatientsAsync(Source, 10, default))
        {
            await _store.CommitRecomputeAsync(Source, d.Patient, d.Generation, [], [], [], default);
        }

        await _store.IngestAsync(Source, new IngestBatch { Resources = [new StoredResource("Location", "or1", "2", null, null, "{}")] }, default);

        Assert.Equal(["p1", "p2"], (await _store.GetDirtyPatientsAsync(Source, 10, default)).Select(d => d.Patient).Order(StringComparer.Ordinal));
        Assert.Single(await _store.GetSharedResourcesAsync(Source, default));
    }

    [StoreFact]
    public async Task Ingest_WatermarksFilesAndQuarantine_AreStoredWithTheBatch()
    {
        await _store.IngestAsync(Source, new IngestBatch
        {
            Resources = [Procedure("op1", "1")],
            Quarantined = [new QuarantineItem("Procedure.ndjson:3", "Procedure", "bad")],
            Watermarks = new Dictionary<string, string> { ["Procedure"] = "2024-03-01T00:00:00Z" },
            Files = new Dictionary<string, string> { ["Procedure.ndjson"] = "123:456" },
        }, default);

        Assert.Equal("2024-03-01T00:00:00Z", await _store.GetWatermarkAsync(Source, "Procedure", default));
        Assert.Null(await _store.GetWatermarkAsync("other-source", "Procedure", default));
        Assert.Equal("123:456", await _store.GetFileFingerprintAsync(Source, "Procedure.ndjson", default));
        Assert.Equal("bad", Assert.Single(await _store.GetQuarantineAsync(Source, default)).Reason);
    }

    [StoreFact]
    public async Task Ingest_SameQuarantinedInputAtTheSameOriginTwice_IsRecordedOnce()
    {
        var item = new QuarantineItem("$export/Procedure-1.ndjson:1", "Procedure", "Procedure.subject is not a Patient reference") { Fingerprint = "a1" };
        await _store.IngestAsync(Source, new IngestBatch { Quarantined = [item] }, default);

        await _store.IngestAsync(Source, new IngestBatch { Quarantined = [item with { }] }, default);

        Assert.Equal([item], await _store.GetQuarantineAsync(Source, default));
    }

    [StoreFact]
    public async Task Ingest_DifferentQuarantinedInputAtTheSameOriginAndReason_IsRecordedToo()
    {
        // A REST page entry or an export's file:line names another resource in every run: only the fingerprint tells them apart.
        var first = new QuarantineItem("Procedure?page=1#entry[1]", "Procedure", "Procedure.subject is not a Patient reference") { Fingerprint = "a1" };
        var second = first with { Fingerprint = "b2" };
        await _store.IngestAsync(Source, new IngestBatch { Quarantined = [first] }, default);

        await _store.IngestAsync(Source, new IngestBatch { Quarantined = [second, first] }, default);

        Assert.Equal([first, second], await _store.GetQuarantineAsync(Source, default));
    }

    [StoreFact]
    public async Task CommitRecompute_ReplacesProjectionAndLogAndEnqueuesChangeSets()
    {
        var open = new DateTimeOffset(2024, 4, 1, 0, 0, 0, TimeSpan.FromHours(8));
        await _store.CommitRecomputeAsync(Source, "p1", null,
            [new ProjectedRecord("ResearchSubject|s1", "s1", "h1", "{}", open), new ProjectedRecord("Patient|x", "s1", "h2", "{}", null)],
            [new("s1", "{\"resourceType\":\"Bundle\"}")],
            [new MappingLogEntry("Procedure/op1", Decision.Index, "outcome.as-of", "follow-up-open")],
            default);
        await _store.CommitRecomputeAsync(Source, "p1", null, [new ProjectedRecord("ResearchSubject|s1", "s1", "h3", "{}", null)], [], [], default);

        Assert.Equal("h3", Assert.Single(await _store.GetProjectionAsync(Source, "p1", default)).Hash);
        var pending = Assert.Single(await _store.GetPendingOutboxAsync(10, default));
        Assert.Equal(("s1", "pending", 0), (pending.SubjectKey, pending.State, pending.Attempts));
    }

    [StoreFact]
    public async Task CommitRecomputes_ProjectionUnchanged_KeepsTheRowsHeldAndReplacesTheRest()
    {
        await _store.CommitRecomputeAsync(Source, "p1", null, [Record("ResearchSubject|s1", "s1"), Record("Patient|a", "s1")], [], [new MappingLogEntry("Procedure/op1", Decision.Index, "r", "first")], default);
        await _store.IngestAsync(Source, new IngestBatch { Resources = [Procedure("op1", "2", "p1")] }, default);
        var read = Assert.Single(await _store.GetDirtyPatientsAsync(Source, 10, default));

        // The commit names no records: with the projection unchanged, the store does not read them either.
        await _store.CommitRecomputesAsync(Source, [new RecomputeCommit("p1", read.Generation, [], [], [new MappingLogEntry("Procedure/op1", Decision.Index, "r", "second")], "{}") { ProjectionUnchanged = true }], default);

        Assert.Equal(["Patient|a", "ResearchSubject|s1"], (await _store.GetProjectionAsync(Source, "p1", default)).Select(r => r.RecordKey));
        Assert.Empty(await _store.GetDirtyPatientsAsync(Source, 10, default));
        var log = await _store.QueryMappingLogAsync(new MappingLogQuery(), default);
        Assert.Equal("second", Assert.Single(log.Records).Entry.Reason);
    }

    [StoreFact]
    public async Task ClosedWindows_OpenUntilPassed_ListsThePatient()
    {
        var closes = new DateTimeOffset(2024, 3, 31, 16, 0, 0, TimeSpan.Zero);
        await _store.CommitRecomputeAsync(Source, "p1", null, [new ProjectedRecord("ResearchSubject|s1", "s1", "h", "{}", closes)], [], [], default);

        Assert.Empty(await _store.GetPatientsToJudgeAgainAsync(Source, closes.AddSeconds(-1), default));
        Assert.Equal(["p1"], await _store.GetPatientsToJudgeAgainAsync(Source, closes, default));
    }

    [StoreFact]
    public async Task JudgeAgainAt_Passed_ListsThePatientOnceBesideAClosedWindow_UntilACommitWithoutItReplacesIt()
    {
        var starts = new DateTimeOffset(2024, 3, 10, 2, 0, 0, TimeSpan.Zero);
        await _store.CommitRecomputesAsync(Source,
        [
            new RecomputeCommit("p1", null, [], [], [], "{}") { JudgeAgainAt = starts },
            new RecomputeCommit("p2", null, [new ProjectedRecord("ResearchSubject|s2", "s2", "h", "{}", starts)], [], [], "{}") { JudgeAgainAt = starts },
            new RecomputeCommit("p3", null, [], [], [], "{}"),
        ], default);

        Assert.Empty(await _store.GetPatientsToJudgeAgainAsync(Source, starts.AddTicks(-1), default));
        Assert.Equal(["p1", "p2"], await _store.GetPatientsToJudgeAgainAsync(Source, starts, default));
        Assert.Empty(await _store.GetPatientsToJudgeAgainAsync("another-source", starts, default));

        // Judged again once the Procedure has started: it counts now, and nothing is left to wait for.
        await _store.CommitRecomputesAsync(Source, [new RecomputeCommit("p1", null, [], [], [], "{}")], default);
        Assert.Equal(["p2"], await _store.GetPatientsToJudgeAgainAsync(Source, starts, default));
    }

    /// <summary>Two detections as the schema before judge_again_at held them: one that depended on its as-of time, one that did not.</summary>
    protected const string OldDetectionRows =
        """INSERT INTO detections (source, patient, json) VALUES ('h', 'p1', '{"AsOf":"2026-01-01T00:00:00+08:00","AsOfSensitive":true,"Subjects":[],"Excluded":[]}'), ('h', 'p2', '{"AsOf":"2026-01-01T00:00:00+08:00","AsOfSensitive":false,"Subjects":[],"Excluded":[]}');""";

    /// <summary>The migrations before the one that adds judge_again_at: the schema <see cref="OldDetectionRows"/> is written in.</summary>
    protected static string[] MigrationsBeforeJudgeAgainAt(IEnumerable<string> migrations) =>
        [.. migrations.TakeWhile(m => !m.Contains("ADD COLUMN judge_again_at", StringComparison.Ordinal))];

    /// <summary>After the migration: the detection that depended on its as-of time is judged again at the next run, the other is not.</summary>
    protected static async Task AssertMigratedDetectionsAsync(IStateStore store) =>
        Assert.Equal(["p1"], await store.GetPatientsToJudgeAgainAsync("h", new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), default));

    /// <summary>
    /// Rows as the schema before origins held them (SQLite's 10, PostgreSQL's 8): p1 and p2 both hold s1; p3 has a
    /// resource and no subject.
    /// </summary>
    protected const string OldProjectionRowsWithoutOrigins =
        "INSERT INTO projection (source, patient, record_key, subject_key, hash, json, open_until) VALUES ('h', 'p1', 'ResearchSubject|s1', 's1', 'h1', '{}', NULL), ('h', 'p2', 'ResearchSubject|s1', 's1', 'h2', '{}', NULL), ('h', 'p2', 'ResearchSubject|s2', 's2', 'h3', '{}', NULL);"
        + "INSERT INTO resources (source, type, id, version_id, last_updated, patient, json) VALUES ('h', 'Procedure', 'op3', '1', NULL, 'p3', '{}'), ('h', 'Location', 'or1', '1', NULL, NULL, '{}');";

    /// <summary>The migrations before the one that adds the projection's origins: the schema <see cref="OldProjectionRowsWithoutOrigins"/> is written in.</summary>
    protected static string[] MigrationsBeforeOrigins(IEnumerable<string> migrations) =>
        [.. migrations.TakeWhile(m => !m.Contains("ADD COLUMN origin", StringComparison.Ordinal))];

    /// <summary>
    /// After the migration: every patient is judged again, those with a subject and those without, so the next run
    /// stores their rows with origins under this version's reading of operations; until then a row without an origin
    /// is handed over by its key.
    /// </summary>
    protected static async Task AssertMigratedOriginsAsync(IStateStore store)
    {
        Assert.Equal(["p1", "p2", "p3"], (await store.GetDirtyPatientsAsync("h", 10, default)).Select(d => d.Patient).Order(StringComparer.Ordinal));
        Assert.Null(Assert.Single(await store.GetProjectionAsync("h", "p1", default)).Origin);

        await store.CommitRecomputesAsync("h", [new RecomputeCommit("p1", null, [], [new("s1", "{\"retract\":1}")], [], null)], default);

        Assert.Equal(["ResearchSubject|s2"], (await store.GetProjectionAsync("h", "p2", default)).Select(r => r.RecordKey));
    }

    [StoreFact]
    public async Task Outbox_SentAndDead_LeavePendingWithTheirState()
    {
        await _store.CommitRecomputeAsync(Source, "p1", null, [], [new("s1", "{}"), new("s2", "{}"), new("s3", "{}")], [], default);
        var items = await _store.GetPendingOutboxAsync(10, default);

        await _store.MarkOutboxSentAsync([items[0].Id], default);
        await _store.MarkOutboxFailedAsync(items[1].Id, "422 Unprocessable: profile", dead: true, default);
        await _store.MarkOutboxFailedAsync(items[2].Id, "503", dead: false, default);

        var pending = Assert.Single(await _store.GetPendingOutboxAsync(10, default));
        Assert.Equal((items[2].Id, 1, "503"), (pending.Id, pending.Attempts, pending.LastError));
        var counts = await _store.GetOutboxCountsAsync(default);
        Assert.Equal((1, 1, 1), (counts["sent"], counts["dead"], counts["pending"]));
    }

    [StoreFact]
    public async Task Outbox_SeveralMarkedSentAtOnce_OnlyThoseLeavePending()
    {
        await _store.CommitRecomputeAsync(Source, "p1", null, [], [new("s1", "{}"), new("s2", "{}"), new("s3", "{}"), new("s4", "{}")], [], default);
        var items = await _store.GetPendingOutboxAsync(10, default);

        await _store.MarkOutboxSentAsync([items[0].Id, items[2].Id, items[3].Id], default);
        await _store.MarkOutboxSentAsync([], default);

        var pending = Assert.Single(await _store.GetPendingOutboxAsync(10, default));
        Assert.Equal(items[1].Id, pending.Id);
        var sent = await _store.GetOutboxAsync(OutboxState.Sent, 10, default);
        Assert.Equal([items[3].Id, items[2].Id, items[0].Id], sent.Select(s => s.Id));
        Assert.All(sent, s => Assert.Equal((1, true), (s.Attempts, s.SentAt is not null)));
    }

    [StoreFact]
    public async Task Runs_RecordedPerSource_LastOneWins()
    {
        var at = new DateTimeOffset(2024, 5, 1, 10, 0, 0, TimeSpan.Zero);
        await _store.RecordRunAsync(new SourceRun(Source, at, at, "boom"), default);
        await _store.RecordRunAsync(new SourceRun(Source, at.AddMinutes(5), at.AddMinutes(5), null), default);

        var run = Assert.Single(await _store.GetRunsAsync(default));
        Assert.Equal((at.AddMinutes(5), (string?)null), (run.At, run.Error));
    }

    [StoreFact]
    public async Task TryAcquireLock_HeldAlready_ReturnsNullUntilReleased()
    {
        var held = await _store.TryAcquireLockAsync("push", default);
        Assert.NotNull(held);

        Assert.Null(await _store.TryAcquireLockAsync("push", default));
        await using (var other = await _store.TryAcquireLockAsync("pull", default))
        {
            Assert.NotNull(other);
        }

        Assert.True(await held.IsHeldAsync(default));
        await held.DisposeAsync();
        await held.DisposeAsync();
        Assert.False(await held.IsHeldAsync(default));
        var again = await _store.TryAcquireLockAsync("push", default);
        Assert.NotNull(again);
        await again.DisposeAsync();
    }

    [StoreFact]
    public async Task TryAcquireLock_HeldThroughAnotherStoreOverTheSameDatabase_ReturnsNull()
    {
        var other = _database.Open(TimeProvider.System);

        var held = await other.TryAcquireLockAsync("push", default);
        Assert.NotNull(held);
        Assert.Null(await _store.TryAcquireLockAsync("push", default));

        await held.DisposeAsync();
        var mine = await _store.TryAcquireLockAsync("push", default);
        Assert.NotNull(mine);
        Assert.Null(await other.TryAcquireLockAsync("push", default));
        await mine.DisposeAsync();
    }

    [StoreFact]
    public async Task Reads_SortByteWiseAndKeepTimesToTheTick_AsSqliteDoes()
    {
        // Ordinal order puts upper case before lower case; a linguistic collation would not.
        var lastUpdated = new DateTimeOffset(2024, 3, 1, 9, 30, 15, TimeSpan.FromHours(8)).AddTicks(1234567);
        await _store.IngestAsync(Source, new IngestBatch
        {
            Resources = [Procedure("op1", "1", "b-2"), Procedure("op2", "1", "B-1"), Procedure("op3", "1", "a-3") with { LastUpdated = lastUpdated }],
        }, default);

        Assert.Equal(["B-1", "a-3", "b-2"], await _store.GetPatientIdsAsync(Source, default));
        var stored = Assert.Single(await _store.GetPatientResourcesAsync(Source, "a-3", default)).LastUpdated;
        Assert.Equal(lastUpdated, stored);
        Assert.Equal(lastUpdated.UtcTicks, stored!.Value.UtcTicks);
        Assert.Equal(TimeSpan.Zero, stored.Value.Offset);
    }
}
