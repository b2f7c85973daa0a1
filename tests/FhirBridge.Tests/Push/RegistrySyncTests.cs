using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using FhirBridge.Conformance;
using FhirBridge.Registry;
using FhirBridge.Tests.Cli;
using FhirBridge.TestServer;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirBridge.Tests.Push;

/// <summary>
/// The whole way from a hospital FHIR server to the registry's FHIR server, with the real executable over real HTTP:
/// the registry ends holding exactly what the data supports, once, pseudonymous and valid against the profiles, and
/// stays so through repeated runs, retractions, kills and registry failures. The hospital is the in-process test
/// server or <c>FHIRBRIDGE_TEST_FHIR_URL</c>; the registry the in-process one or <c>FHIRBRIDGE_TEST_REGISTRY_URL</c>
/// (an empty server). Fault tests need the in-process registry and are skipped against an external one.
/// </summary>
public sealed partial class RegistrySyncTests : IAsyncLifetime
{
    private const string Key = "registry-sync-key-0123456789";
    private const string AsOf = "2026-01-01T00:00:00+08:00";
    private static readonly string[] RegistryTypes = ["ResearchStudy", "Patient", "ResearchSubject", "Procedure", "AdverseEvent", "Observation", "Provenance"];
    private static readonly Lazy<ProfileValidator> Profiles = new(() => new ProfileValidator(ProfileSet.Load(Path.Combine(Fhirbridge.RepositoryRoot, "profiles"))));
    private readonly string _dir = Directory.CreateTempSubdirectory("fhirbridge-registry-").FullName;
    private FhirTestTarget _hospital = null!;
    private FhirTestTarget _registry = null!;

    private static string Sample => Path.Combine(Fhirbridge.RepositoryRoot, "samples", "synthetic-hospital");

    public async System.Threading.Tasks.Task InitializeAsync()
    {
        _hospital = await FhirTestTarget.CreateAsync();
        await _hospital.SeedNdjsonAsync(Sample);
        _registry = await FhirTestTarget.CreateRegistryAsync();
    }

    public async System.Threading.Tasks.Task DisposeAsync()
    {
        await _hospital.DisposeAsync();
        await _registry.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private string In(string name) => Path.Combine(_dir, name);

    private string Config(int timeoutSeconds = 10)
    {
        File.WriteAllText(In("appsettings.json"), $$"""
            { "FhirBridge": {
                "Sources": [ { "Name": "hospital", "Kind": "Rest", "BaseUrl": "{{_hospital.BaseUrl}}", "TimeZone": "Asia/Shanghai", "PageSize": 200 } ],
                "Registry": { "Kind": "Fhir", "BaseUrl": "{{_registry.BaseUrl}}", "TimeoutSeconds": {{timeoutSeconds}} },
                "Storage": { "ConnectionString": "state/state.db" } } }
            """);
        return In("appsettings.json");
    }

    private static Dictionary<string, string> Environment => new() { ["FhirBridge__Pseudonymization__Key"] = Key };

    private Fhirbridge.Result RunOnce(string config, string? report = null)
    {
        var run = Fhirbridge.Run(Environment, ["run", "--once", "--config", config, "--as-of", AsOf, .. report is null ? Array.Empty<string>() : ["--report", In(report)]]);
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        return run;
    }

    private async Task<Dictionary<string, IReadOnlyList<Resource>>> RegistryContentsAsync()
    {
        var contents = new Dictionary<string, IReadOnlyList<Resource>>(StringComparer.Ordinal);
        foreach (var type in RegistryTypes)
        {
            contents[type] = await _registry.SearchAllAsync(type);
        }

        return contents;
    }

    private List<JsonElement> Subjects(string report)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(In(report)));
        return [.. document.RootElement.GetProperty("subjects").EnumerateArray().Select(s => s.Clone())];
    }

    private static string IdentifierOf(Resource resource) => resource switch
    {
        AdverseEvent a => a.Identifier!.Value!,
        IIdentifiable<List<Identifier>> i => Assert.Single(i.Identifier).Value!,
        _ => resource.Id!,
    };

    private static bool HasProfile(Resource resource, string profile) => resource.Meta?.Profile.Contains(profile) == true;

    /// <summary>Every record once (by identifier), and the counts the report says.</summary>
    private static void AssertHolds(Dictionary<string, IReadOnlyList<Resource>> contents, List<JsonElement> subjects)
    {
        foreach (var (type, resources) in contents)
        {
            var identifiers = resources.Select(IdentifierOf).ToList();
            Assert.True(identifiers.Count == identifiers.Distinct(StringComparer.Ordinal).Count(), $"{type}: a record is held twice");
        }

        Assert.Single(contents["ResearchStudy"]);
        Assert.Equal(subjects.Count, contents["ResearchSubject"].Count);
        Assert.Equal(subjects.Select(s => s.GetProperty("patient").GetString()).Distinct().Count(), contents["Patient"].Count);
        Assert.Equal(subjects.Sum(s => s.GetProperty("returns").GetArrayLength()), contents["AdverseEvent"].Count);
        var outcomes = contents["Observation"].Where(o => HasProfile(o, RegistryModel.OutcomeObservationProfile)).Cast<Observation>().ToList();
        Assert.Equal(subjects.Count, outcomes.Count);
        Assert.Equal(
            subjects.GroupBy(s => s.GetProperty("outcome").GetString()).ToDictionary(g => g.Key!, g => g.Count()).OrderBy(kv => kv.Key, StringComparer.Ordinal),
            outcomes.GroupBy(o => ((CodeableConcept)o.Value!).Coding[0].Code).ToDictionary(g => g.Key!, g => g.Count()).OrderBy(kv => kv.Key, StringComparer.Ordinal));
    }

    [Fact]
    public async System.Threading.Tasks.Task CleanSync_OneRecordPerSubjectEveryResourceValid_ThenThreeRunsSendNothing()
    {
        var config = Config();
        RunOnce(config, "report.json");

        var subjects = Subjects("report.json");
        Assert.True(subjects.Count > 400, "the sample should give hundreds of subjects");
        var contents = await RegistryContentsAsync();
        AssertHolds(contents, subjects);
        Assert.True(contents["Observation"].Count(o => HasProfile(o, RegistryModel.RiskFactorObservationProfile)) > subjects.Count, "risk factors are copied");
        Assert.Equal(contents["ResearchSubject"].Count, contents["Provenance"].Count); // one change set per new subject
        foreach (var resource in contents.Values.SelectMany(r => r))
        {
            var violations = Profiles.Value.Validate(resource);
            Assert.True(violations.Count == 0, $"{resource.TypeName}/{resource.Id}: " + string.Join("; ", violations.Select(v => $"{v.Path} {v.Rule}")));
        }

        var transactions = _registry.Server?.Requests.Count(r => r.Interaction == FhirInteraction.Transaction);
        for (var run = 2; run <= 4; run++)
        {
            Assert.Contains("registry   0 change sets", RunOnce(config).Stdout, StringComparison.Ordinal);
        }

        Assert.Equal(transactions, _registry.Server?.Requests.Count(r => r.Interaction == FhirInteraction.Transaction));
        var after = await RegistryContentsAsync();
        Assert.Equal(contents.ToDictionary(kv => kv.Key, kv => kv.Value.Count), after.ToDictionary(kv => kv.Key, kv => kv.Value.Count));
    }

    [Fact]
    public async System.Threading.Tasks.Task Pushed_NoNameAddressTelecomOrHospitalIdentifierOfAnySourcePatient()
    {
        RunOnce(Config());

        // What was sent, byte for byte (the in-process registry logs every body), or what an external one holds.
        var serializer = new FhirJsonSerializer();
        var pushed = _registry.Server is { } server
            ? string.Concat(server.Requests.Where(r => r.Body is not null).Select(r => Encoding.UTF8.GetString(r.Body!)))
            : string.Concat((await RegistryContentsAsync()).Values.SelectMany(r => r).Select(r => serializer.SerializeToString(r)));
        Assert.Contains("ResearchSubject", pushed, StringComparison.Ordinal);

        var deserializer = new FhirJsonDeserializer();
        var checkedValues = 0;
        foreach (var line in File.ReadLines(Path.Combine(Sample, "Patient.ndjson")))
        {
            var patient = deserializer.Deserialize<Patient>(line);
            IEnumerable<string?> values =
            [
                patient.Id,
                .. patient.Identifier.Select(i => i.Value),
                .. patient.Name.SelectMany(n => n.Given.Append(n.Family)),
                .. patient.Telecom.Select(t => t.Value),
                .. patient.Address.SelectMany(a => a.Line.Append(a.City).Append(a.PostalCode).Append(a.District)),
            ];
            foreach (var value in values.OfType<string>())
            {
                // A whole word, so that a postal code cannot "match" inside a hexadecimal pseudonym.
                Assert.False(Regex.IsMatch(pushed, $@"(?<![A-Za-z0-9]){Regex.Escape(value)}(?![A-Za-z0-9])"), $"a value of source Patient/{patient.Id} was pushed");
                checkedValues++;
            }
        }

        Assert.True(checkedValues > 2000);
    }

    [Fact]
    public async System.Threading.Tasks.Task Retraction_UpstreamReachesTheRegistry()
    {
        var config = Config();
        RunOnce(config, "first.json");
        var subjects = Subjects("first.json");
        var withReturn = subjects.First(s => s.GetProperty("returns").GetArrayLength() == 1);
        var withdrawn = subjects.First(s => s.GetProperty("patient").GetString() != withReturn.GetProperty("patient").GetString());
        string IndexId(JsonElement subject) => subject.GetProperty("index").GetString()!["Procedure/".Length..];
        var returnId = withReturn.GetProperty("returns")[0].GetProperty("procedure").GetString()!["Procedure/".Length..];

        // The registry's identifiers, computed as the hospital can (it holds the key).
        var pseudonyms = new Pseudonymizer(Key);
        var withdrawnSubject = pseudonyms.Hash("research-subject", "NCT05995327", "hospital", IndexId(withdrawn));
        var correctedOutcome = pseudonyms.Hash("outcome", "NCT05995327", "hospital", IndexId(withReturn));
        var removedEvent = pseudonyms.Hash("adverse-event", "NCT05995327", "hospital", IndexId(withReturn), returnId);
        var before = await RegistryContentsAsync();
        Assert.Contains(before["AdverseEvent"], a => IdentifierOf(a) == removedEvent);

        // The hospital withdraws one subject's only return and another subject's index operation.
        await WithdrawAsync(returnId);
        await WithdrawAsync(IndexId(withdrawn));
        RunOnce(config);

        var after = await RegistryContentsAsync();
        Assert.DoesNotContain(after["AdverseEvent"], a => IdentifierOf(a) == removedEvent);
        Assert.Equal(before["AdverseEvent"].Count - 1, after["AdverseEvent"].Count);
        var subject = (ResearchSubject)after["ResearchSubject"].Single(r => IdentifierOf(r) == withdrawnSubject);
        Assert.Equal(ResearchSubject.ResearchSubjectStatus.Withdrawn, subject.Status);
        var outcome = (Observation)after["Observation"].Single(o => IdentifierOf(o) == correctedOutcome);
        Assert.Equal((ObservationStatus.Corrected, "no-return"), (outcome.Status, ((CodeableConcept)outcome.Value!).Coding[0].Code));
        Assert.Contains(after["Observation"].Cast<Observation>(), o => o.Status == ObservationStatus.EnteredInError && HasProfile(o, RegistryModel.OutcomeObservationProfile));
        Assert.True(after["Procedure"].Cast<Procedure>().Count(p => p.Status == EventStatus.EnteredInError) >= 2);
        var nullified = after["Provenance"].Cast<Provenance>().Where(p => p.Activity?.Coding[0].Code == "NULLIFY").Select(p => p.Reason[0].Coding[0].Code).Order(StringComparer.Ordinal);
        Assert.Equal(["return-retracted", "subject-retracted"], nullified);
    }

    [Fact]
    public async System.Threading.Tasks.Task Reassigned_IndexOperationMovedToAnotherPatient_TheRegistryFollowsItAndRunsGoOn()
    {
        var config = Config();
        RunOnce(config, "first.json");
        var first = Subjects("first.json");
        static string PatientOf(JsonElement subject) => subject.GetProperty("patient").GetString()!;
        static string IndexOf(JsonElement subject) => subject.GetProperty("index").GetString()!["Procedure/".Length..];

        // The hospital corrects a wrong-patient entry: an index operation of a patient who has another subject is
        // moved to a patient who has a subject of their own (a new version of the Procedure, another subject).
        var moved = first.First(s => first.Count(o => PatientOf(o) == PatientOf(s)) > 1);
        var from = PatientOf(moved);
        var to = first.Select(PatientOf).First(p => p != from);
        await ReassignAsync(IndexOf(moved), to);
        RunOnce(config, "second.json");

        // The registry holds what the data now supports, each record once: the subject belongs to the new patient.
        var second = Subjects("second.json");
        var contents = await RegistryContentsAsync();
        AssertHolds(contents, second);
        var now = Assert.Single(second, s => IndexOf(s) == IndexOf(moved));
        Assert.Equal(to, PatientOf(now));
        var pseudonyms = new Pseudonymizer(Key);
        var subjectId = pseudonyms.Hash("research-subject", "NCT05995327", "hospital", IndexOf(moved));
        var subject = (ResearchSubject)Assert.Single(contents["ResearchSubject"], r => IdentifierOf(r) == subjectId);
        Assert.NotEqual(ResearchSubject.ResearchSubjectStatus.Withdrawn, subject.Status);
        Patient RecordOf(string patient) =>
            (Patient)Assert.Single(contents["Patient"], p => IdentifierOf(p) == pseudonyms.Patient("hospital", patient["Patient/".Length..]));
        Assert.Equal($"Patient/{RecordOf(to).Id}", subject.Individual.Reference);
        static IEnumerable<string?> SubjectsListed(Patient record) =>
            record.Extension.Where(e => e.Url == RegistryModel.ResearchSubjectExtension).Select(e => (e.Value as ResourceReference)?.Identifier?.Value);
        Assert.Contains(subjectId, SubjectsListed(RecordOf(to)));
        Assert.DoesNotContain(subjectId, SubjectsListed(RecordOf(from)));
        Assert.Contains("registry   0 change sets", RunOnce(config).Stdout, StringComparison.Ordinal);
    }

    [InProcessRegistryFact]
    public async System.Threading.Tasks.Task KilledBetweenSendingAndRecordingTheAnswer_RestartLeavesNoDuplicate()
    {
        var registry = _registry.Server!;

        // The sixth transaction is committed, then its answer never comes: the bridge is killed while it waits.
        registry.Faults.Enqueue(Fault.Slow(TimeSpan.FromMinutes(2), afterProcessing: true), FhirInteraction.Transaction, skip: 5);
        var config = Config(timeoutSeconds: 300);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Fhirbridge.ExecutablePath, "run", "--once", "--config", config, "--as-of", AsOf })
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["FhirBridge__Pseudonymization__Key"] = Key;
        using (var process = Process.Start(start)!)
        {
            var deadline = DateTime.UtcNow.AddMinutes(3);
            while (registry.ResourceCount("Provenance") < 6 && DateTime.UtcNow < deadline && !process.HasExited)
            {
                await System.Threading.Tasks.Task.Delay(50);
            }

            Assert.False(process.HasExited, "the run ended before the sixth transaction's answer");
            Assert.Equal(6, registry.ResourceCount("Provenance"));
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        // The restarted bridge sends that change set again: the registry matches it, and nothing is held twice.
        RunOnce(Config(), "report.json");

        AssertHolds(await RegistryContentsAsync(), Subjects("report.json"));
    }

    [InProcessRegistryFact]
    public async System.Threading.Tasks.Task RegistryFailures_500CommitThenTimeout429_RunFinishesConsistentAndOutboxEmpty()
    {
        var registry = _registry.Server!;

        registry.Faults.Enqueue(Fault.Status(500), FhirInteraction.Transaction, skip: 2);
        registry.Faults.Enqueue(Fault.Slow(TimeSpan.FromSeconds(30), afterProcessing: true), FhirInteraction.Transaction, skip: 10);
        registry.Faults.Enqueue(Fault.TooManyRequests(1), FhirInteraction.Transaction, skip: 20);
        registry.Faults.Enqueue(Fault.ConnectionReset(afterProcessing: true), FhirInteraction.Transaction, skip: 30);

        var run = RunOnce(Config(timeoutSeconds: 2), "report.json");

        Assert.Contains("0 dead letters, 0 pending", run.Stdout, StringComparison.Ordinal);
        Assert.Equal(4, registry.Requests.Count(r => r.Fault is not null && r.Interaction == FhirInteraction.Transaction));
        AssertHolds(await RegistryContentsAsync(), Subjects("report.json"));
    }

    [InProcessRegistryTheory]
    [InlineData(412)]
    [InlineData(422)]
    public async System.Threading.Tasks.Task RegistryRefusal_DeadLettersThatChangeSetWithTheRegistrysMessage_ReplaySendsIt(int status)
    {
        var registry = _registry.Server!;

        registry.Faults.Enqueue(Fault.Status(status, "Registry rule R-17 refused this subject"), FhirInteraction.Transaction, skip: 3);
        var config = Config();

        var run = RunOnce(config, "report.json");

        Assert.Contains("1 dead letters, 0 pending", run.Stdout, StringComparison.Ordinal);
        var subjects = Subjects("report.json");
        Assert.Equal(subjects.Count - 1, (await _registry.SearchAllAsync("ResearchSubject")).Count);
        var list = Fhirbridge.Run(Environment, "outbox", "list", "--state", "dead", "--config", config);
        Assert.True(list.ExitCode == 0, list.Stderr);
        Assert.Contains("Registry rule R-17 refused this subject", list.Stdout, StringComparison.Ordinal);

        var replay = Fhirbridge.Run(Environment, "outbox", "replay", "--all", "--config", config);
        Assert.True(replay.ExitCode == 0, replay.Stdout + replay.Stderr);
        Assert.Contains("0 dead letters, 0 pending", RunOnce(config).Stdout, StringComparison.Ordinal);
        AssertHolds(await RegistryContentsAsync(), subjects);
    }

    private async System.Threading.Tasks.Task ReassignAsync(string id, string patient)
    {
        var line = File.ReadLines(Path.Combine(Sample, "Procedure.ndjson")).Last(l => l.Contains($"\"id\":\"{id}\"", StringComparison.Ordinal));
        var procedure = new FhirJsonDeserializer().Deserialize<Procedure>(line);
        procedure.Subject = new ResourceReference(patient);
        await _hospital.PutAsync(procedure);
    }

    private async System.Threading.Tasks.Task WithdrawAsync(string id)
    {
        var line = File.ReadLines(Path.Combine(Sample, "Procedure.ndjson")).Last(l => l.Contains($"\"id\":\"{id}\"", StringComparison.Ordinal));
        var procedure = new FhirJsonDeserializer().Deserialize<Procedure>(line);
        procedure.Status = EventStatus.EnteredInError;
        await _hospital.PutAsync(procedure);
    }
}
