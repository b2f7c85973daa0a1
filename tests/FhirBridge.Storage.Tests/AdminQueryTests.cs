using FhirBridge.MappingLog;
using FhirBridge.Reconcile;
using FhirBridge.Registry;
using FhirBridge.Storage;

namespace FhirBridge.Tests.Storage;

/// <summary>The admin surface's queries over the store: the mapping log with filters and paging, unmapped codes, subjects.</summary>
public abstract class AdminQueryTests : IAsyncLifetime
{
    private const string Icd10 = "http://hl7.org/fhir/sid/icd-10";
    private const string Local = "http://hospital.example/proc";
    private readonly ManualClock _clock = new(new DateTimeOffset(2025, 1, 10, 8, 0, 0, TimeSpan.Zero));
    private StoreDatabase _database = null!;
    private IStateStore _store = null!;

    /// <summary>The empty database the tests run on.</summary>
    protected abstract StoreDatabase CreateDatabase();

    public async Task InitializeAsync()
    {
        _database = CreateDatabase();
        await _database.CreateAsync();
        _store = _database.Open(_clock);
        await _store.MigrateAsync(default);
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    private Task Log(string source, string patient, params MappingLogEntry[] entries) =>
        _store.CommitRecomputeAsync(source, patient, null, [], [], entries, default);

    private static MappingLogEntry Unmapped(string resource, string code) =>
        new(resource, Decision.Unmapped, "mappings") { Codes = [code] };

    [StoreFact]
    public async Task QueryMappingLog_EachFilter_SelectsOnlyMatchingEntries()
    {
        await Log("a", "p1",
            new MappingLogEntry("Procedure/op1/_history/1", Decision.Excluded, "verdict.1-in-theatre", "not-in-theatre") { Codes = ["http://snomed.info/sct|225746001"] },
            new MappingLogEntry("Procedure/op2/_history/1", Decision.Counted, "verdict", "unplanned-return"),
            Unmapped("Condition/c1/_history/1", Icd10 + "|E11.9"));
        _clock.Advance(TimeSpan.FromDays(2));
        await Log("b", "p9", new MappingLogEntry("Procedure/op9/_history/3", Decision.Excluded, "verdict.3-not-planned", "planned"));

        async Task<string[]> Sources(MappingLogQuery q) => [.. (await _store.QueryMappingLogAsync(q, default)).Records.Select(r => r.Entry.Source)];

        Assert.Equal(["Procedure/op9/_history/3"], await Sources(new MappingLogQuery { Source = "b" }));
        Assert.Equal(["Condition/c1/_history/1"], await Sources(new MappingLogQuery { ResourceType = "Condition" }));
        Assert.Equal(["Procedure/op9/_history/3", "Procedure/op1/_history/1"], await Sources(new MappingLogQuery { Decision = Decision.Excluded }));
        Assert.Equal(["Procedure/op1/_history/1"], await Sources(new MappingLogQuery { Reason = "not-in-theatre" }));
        Assert.Equal(["Procedure/op1/_history/1"], await Sources(new MappingLogQuery { Code = "225746001" }));
        Assert.Equal(["Procedure/op9/_history/3"], await Sources(new MappingLogQuery { From = new DateTimeOffset(2025, 1, 11, 0, 0, 0, TimeSpan.Zero) }));
        Assert.Equal(3, (await Sources(new MappingLogQuery { To = new DateTimeOffset(2025, 1, 11, 0, 0, 0, TimeSpan.Zero) })).Length);

        // "Proc" is not a resource type: the type filter matches the whole type, not a prefix of it.
        Assert.Empty(await Sources(new MappingLogQuery { ResourceType = "Proc" }));
    }

    [StoreFact]
    public async Task QueryMappingLog_Pages_NewestFirstWithTheTotalOnEveryPage()
    {
        await Log("a", "p1", [.. Enumerable.Range(1, 7).Select(i => new MappingLogEntry($"Procedure/op{i}/_history/1", Decision.Index, "index"))]);

        var first = await _store.QueryMappingLogAsync(new MappingLogQuery { Limit = 3 }, default);
        var last = await _store.QueryMappingLogAsync(new MappingLogQuery { Limit = 3, Offset = 6 }, default);

        Assert.Equal(7, first.Total);
        Assert.Equal(["Procedure/op7/_history/1", "Procedure/op6/_history/1", "Procedure/op5/_history/1"], first.Records.Select(r => r.Entry.Source));
        Assert.Equal(7, last.Total);
        Assert.Equal("Procedure/op1/_history/1", Assert.Single(last.Records).Entry.Source);
        Assert.Equal(_clock.GetUtcNow(), first.Records[0].RecordedAt);
    }

    [StoreFact]
    public async Task QueryMappingLog_KeepsTheEvidence()
    {
        var entry = new MappingLogEntry("Procedure/op1/_history/1", Decision.PrefixMatch, "http://fhirbridge.org/fhir/ConceptMap/icd9", "spine-surgery")
        {
            Codes = ["http://hl7.org/fhir/sid/icd-9-cm|81.0700x001"], Prefix = "81.07", Index = "Procedure/op0", Evidence = ["Location/l1"], Detail = "longest prefix",
        };
        await Log("a", "p1", entry);

        var stored = Assert.Single((await _store.QueryMappingLogAsync(new MappingLogQuery(), default)).Records);

        Assert.Equal(entry.Codes, stored.Entry.Codes);
        Assert.Equal(entry.Evidence, stored.Entry.Evidence);
        Assert.Equal((entry.Prefix, entry.Index, entry.Detail, entry.Rule, entry.Reason), (stored.Entry.Prefix, stored.Entry.Index, stored.Entry.Detail, stored.Entry.Rule, stored.Entry.Reason));
        Assert.Equal("a", stored.SourceName);
    }

    [StoreFact]
    public async Task UnmappedCodes_GroupedBySystemAndCode_MostDecisionsFirst_WithFewSortedExamples()
    {
        await Log("a", "p1", Unmapped("Condition/c1/_history/1", Icd10 + "|E11.9"), Unmapped("Condition/c2/_history/1", Icd10 + "|E11.9"), Unmapped("Procedure/x/_history/1", Local + "|SPX-77"));
        await Log("b", "p2", Unmapped("Condition/c9/_history/1", Icd10 + "|E11.9"), Unmapped("Condition/c0/_history/2", Icd10 + "|E11.9"), Unmapped("Condition/c5/_history/1", "|NOSYS"));
        await Log("a", "p3", new MappingLogEntry("Condition/c7/_history/1", Decision.Mapped, "http://map") { Codes = [Icd10 + "|M51.1"] });

        var codes = await _store.GetUnmappedCodesAsync(3, default);

        Assert.Equal([(Icd10, "E11.9", 4), ("", "NOSYS", 1), (Local, "SPX-77", 1)], codes.Select(c => (c.System, c.Code, c.Decisions)));
        Assert.Equal(["a", "b"], codes[0].Sources);
        Assert.Equal(["Condition/c0/_history/2", "Condition/c1/_history/1", "Condition/c2/_history/1"], codes[0].Examples);
    }

    [StoreFact]
    public async Task UnmappedCodes_ARecomputeReplacesThePatientsEntries()
    {
        await Log("a", "p1", Unmapped("Condition/c1/_history/1", Icd10 + "|E11.9"));

        // The hospital added a mapping; the recompute logs the code as mapped and the old decision is gone.
        await Log("a", "p1", new MappingLogEntry("Condition/c1/_history/1", Decision.Mapped, "http://map") { Codes = [Icd10 + "|E11.9"] });

        Assert.Empty(await _store.GetUnmappedCodesAsync(3, default));
    }

    [StoreFact]
    public async Task Subjects_FromTheProjection_WithCohortIndexStartAndOutcome()
    {
        static ProjectedRecord Subject(string key, string arm, string start) => new($"ResearchSubject|{RegistryModel.SubjectSystem}|{key}", key, "h",
            $$$"""{"resourceType":"ResearchSubject","assignedArm":"{{{arm}}}","period":{"start":"{{{start}}}"}}""", null);
        static ProjectedRecord Outcome(string key, string value) => new($"Observation|{RegistryModel.ObservationSystem}|o-{key}", key, "h",
            $$$"""{"resourceType":"Observation","code":{"coding":[{"system":"{{{RegistryModel.OutcomeSystem}}}","code":"{{{RegistryModel.OutcomeCode}}}"}]},"valueCodeableConcept":{"coding":[{"code":"{{{value}}}"}]}}""", null);
        static ProjectedRecord RiskFactor(string key) => new($"Observation|{RegistryModel.ObservationSystem}|rf-{key}", key, "h",
            """{"resourceType":"Observation","code":{"coding":[{"system":"http://loinc.org","code":"39156-5"}]},"valueQuantity":{"value":31}}""", null);

        await _store.CommitRecomputeAsync("a", "p1", null, [Subject("s1", "tumor", "2024-03-31T23:30:00+08:00"), Outcome("s1", "unplanned-return"), RiskFactor("s1")], [], [], default);
        await _store.CommitRecomputeAsync("a", "p2", null, [Subject("s2", "deformity", "2024-04-02T09:00:00+08:00")], [], [], default);

        var subjects = await _store.GetSubjectsAsync(default);

        Assert.Equal(
            [new SubjectSummary("a", "s1", "tumor", "2024-03-31T23:30:00+08:00", "unplanned-return"), new SubjectSummary("a", "s2", "deformity", "2024-04-02T09:00:00+08:00", null)],
            subjects);
    }

    [StoreFact]
    public async Task Watermarks_AreListedPerSource()
    {
        await _store.IngestAsync("a", new IngestBatch { Watermarks = new Dictionary<string, string> { ["Procedure"] = "2025-01-01T00:00:00Z" } }, default);

        Assert.Equal([new Watermark("a", "Procedure", "2025-01-01T00:00:00Z")], await _store.GetWatermarksAsync(default));
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        private DateTimeOffset _now = now;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
