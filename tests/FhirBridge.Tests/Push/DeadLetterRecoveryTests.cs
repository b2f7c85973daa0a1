using System.Text.Json;
using FhirBridge.Cli.Push;
using FhirBridge.Fhir.Push;
using FhirBridge.Reconcile;
using FhirBridge.Registry;
using FhirBridge.Storage;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.Logging.Abstractions;
using Task = System.Threading.Tasks.Task;

namespace FhirBridge.Tests.Push;

/// <summary>
/// Dead letters and their replays against the real Reconciler, the real SQLite store and the real push, with an
/// in-memory registry that applies each transaction's PUTs and DELETEs (docs/registry.md, "Dead letters"): a change set
/// the registry refused for good leaves the projection in doubt, and the next recompute of the patient, whether a replay
/// or new data asks for it, sends the subject as it is then, with the retractions the dead letter carried.
/// </summary>
public sealed class DeadLetterRecoveryTests : OutboxTestBase
{
    private const string Source = "h";
    private const string PatientId = "p1";
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly RegistryKey PatientKey = new("Patient", RegistryModel.PatientSystem, "pat-pseudonym");
    private static readonly RegistryKey StudyKey = new("ResearchStudy", "https://clinicaltrials.gov", "NCT05995327");

    private static RegistryRecord Study() => new(StudyKey, "", new ResearchStudy
    {
        Identifier = [new Identifier(StudyKey.System, StudyKey.Value)],
        Status = ResearchStudy.ResearchStudyStatus.Active,
    });

    // As RegistryRecordBuilder makes it: one Patient per patient, its subject key that of the patient's first subject,
    // linking every subject; carried by every change set of the patient.
    private static RegistryRecord Patient(AdministrativeGender gender, params string[] subjects)
    {
        var patient = new Patient { Identifier = [new Identifier(PatientKey.System, PatientKey.Value)], Gender = gender };
        foreach (var s in subjects)
        {
            patient.Extension.Add(new Extension(RegistryModel.ResearchSubjectExtension, new ResourceReference { Type = "ResearchSubject", Identifier = new Identifier(RegistryModel.SubjectSystem, s) }));
        }

        return new RegistryRecord(PatientKey, subjects[0], patient);
    }

    private static RegistryKey SubjectKey(string subject) => new("ResearchSubject", RegistryModel.SubjectSystem, subject);

    private static RegistryRecord Subject(string subject, ResearchSubject.ResearchSubjectStatus status) =>
        new(SubjectKey(subject), subject, new ResearchSubject { Identifier = [new Identifier(RegistryModel.SubjectSystem, subject)], Status = status });

    private static RegistryKey ProcedureKey(string id) => new("Procedure", "http://fhirbridge.org/fhir/sid/procedure", id);

    private static RegistryRecord Procedure(string subject, string id) =>
        new(ProcedureKey(id), subject, new Procedure { Identifier = [new Identifier(ProcedureKey(id).System, id)], Status = EventStatus.Completed, Subject = new ResourceReference(PatientKey.FullUrl) });

    private static RegistryKey EventKey(string id) => new("AdverseEvent", "http://fhirbridge.org/fhir/sid/adverse-event", id);

    private static RegistryRecord Event(string subject, string id) =>
        new(EventKey(id), subject, new AdverseEvent { Identifier = new Identifier(EventKey(id).System, id), Actuality = AdverseEvent.AdverseEventActuality.Actual, Subject = new ResourceReference(PatientKey.FullUrl) });

    /// <summary>One recompute of the patient, committed as PatientRecompute commits it (projection and outbox in one transaction).</summary>
    private async Task RecomputeAsync(params RegistryRecord[] records)
    {
        var previous = await Store.GetProjectionAsync(Source, PatientId, default);
        var (projection, changes) = Reconciler.Reconcile(Source, Study(), records, previous, Now);
        await Store.CommitRecomputeAsync(Source, PatientId, null,
            projection,
            [.. changes.Select(c => new QueuedChangeSet(c.SubjectKey, c.Json) { Retracted = c.Retracted })], [], default);
    }

    private RegistryPush Push(IRegistrySink sink) => new(Store, sink, NullLogger<RegistryPush>.Instance, RegistryPushRetry.None);

    /// <summary>
    /// A dead letter of subject B (the registry refused it, e.g. a 422 fixed on the registry's side later) carries the
    /// patient's Patient as it was then. The Patient then changes (the hospital corrects the gender): that change set
    /// goes out under the Patient's own subject key, A's, and B goes with it, as it is now. Replaying B's dead letter
    /// afterwards must not put the old Patient back, as resending its Bundle would: the replay recomputes the patient.
    /// </summary>
    [Fact]
    public async Task Replay_DeadLetterOfAnotherSubjectOfThePatient_SendsThatSubjectWithTheCurrentPatient()
    {
        var registry = new InMemoryRegistry();
        using var push = Push(registry);

        // Two subjects, both sent.
        await RecomputeAsync(Patient(AdministrativeGender.Male, "A", "B"), Subject("A", ResearchSubject.ResearchSubjectStatus.OnStudy), Subject("B", ResearchSubject.ResearchSubjectStatus.OnStudy));
        Assert.Equal((2, 0, 0), await push.PushPendingAsync(default));

        // B's follow-up closes; the registry refuses that change set permanently (dead letter).
        await RecomputeAsync(Patient(AdministrativeGender.Male, "A", "B"), Subject("A", ResearchSubject.ResearchSubjectStatus.OnStudy), Subject("B", ResearchSubject.ResearchSubjectStatus.OffStudy));
        registry.RefuseNext = true;
        Assert.Equal((0, 1, 0), await push.PushPendingAsync(default));

        // The hospital corrects the patient's gender: a change set for A (the Patient's subject key), and one for B,
        // whose records the registry may not hold as the projection said (B's dead letter put them in doubt).
        await RecomputeAsync(Patient(AdministrativeGender.Female, "A", "B"), Subject("A", ResearchSubject.ResearchSubjectStatus.OnStudy), Subject("B", ResearchSubject.ResearchSubjectStatus.OffStudy));
        Assert.Equal(["A", "B"], (await Store.GetPendingOutboxAsync(10, default)).Select(i => i.SubjectKey));
        Assert.Equal((2, 0, 0), await push.PushPendingAsync(default));
        Assert.Equal("female", registry.Gender(PatientKey));
        Assert.Equal("off-study", registry.Status(SubjectKey("B")));

        // The registry's problem is fixed; the operator replays the dead letters, and the next run recomputes the patient.
        var replay = Assert.Single(await Store.ReplayDeadOutboxAsync(default));
        Assert.True(replay.Replayed, replay.Refusal);
        Assert.Equal(PatientId, Assert.Single(await Store.GetDirtyPatientsAsync(Source, 10, default)).Patient);
        await RecomputeAsync(Patient(AdministrativeGender.Female, "A", "B"), Subject("A", ResearchSubject.ResearchSubjectStatus.OnStudy), Subject("B", ResearchSubject.ResearchSubjectStatus.OffStudy));
        Assert.Equal(["B"], (await Store.GetPendingOutboxAsync(10, default)).Select(i => i.SubjectKey));
        Assert.Equal((1, 0, 0), await push.PushPendingAsync(default));

        Assert.Equal("female", registry.Gender(PatientKey));
        Assert.Equal("off-study", registry.Status(SubjectKey("B")));
    }

    /// <summary>
    /// A retraction (the hospital withdrew subject S's return) is refused by the registry: dead letter. The push goes
    /// on, and a later change set for S (here: the follow-up closes) is made. It must carry the withdrawal of the
    /// return's Procedure and the DELETE of its AdverseEvent again, as the registry still holds them.
    /// </summary>
    [Fact]
    public async Task DeadRetraction_ThenALaterChangeSetForTheSubject_CarriesTheRetractionAgain()
    {
        var registry = new InMemoryRegistry();
        using var push = Push(registry);

        await RecomputeAsync(Patient(AdministrativeGender.Male, "S"), Subject("S", ResearchSubject.ResearchSubjectStatus.OnStudy), Procedure("S", "index"), Procedure("S", "return"), Event("S", "return-event"));
        Assert.Equal((1, 0, 0), await push.PushPendingAsync(default));
        Assert.True(registry.Holds(EventKey("return-event")));

        // The return is withdrawn at the hospital; the registry refuses the retraction (e.g. a 412 it later fixes).
        await RecomputeAsync(Patient(AdministrativeGender.Male, "S"), Subject("S", ResearchSubject.ResearchSubjectStatus.OnStudy), Procedure("S", "index"));
        registry.RefuseNext = true;
        Assert.Equal((0, 1, 0), await push.PushPendingAsync(default));
        Assert.True(registry.Holds(EventKey("return-event")));

        // Later the follow-up window closes: a change set for S, sent.
        await RecomputeAsync(Patient(AdministrativeGender.Male, "S"), Subject("S", ResearchSubject.ResearchSubjectStatus.OffStudy), Procedure("S", "index"));
        Assert.Equal((1, 0, 0), await push.PushPendingAsync(default));

        Assert.False(registry.Holds(EventKey("return-event")), "the AdverseEvent of the withdrawn return is still in the registry");
        Assert.Equal("entered-in-error", registry.Status(ProcedureKey("return")));
        Assert.Equal("off-study", registry.Status(SubjectKey("S")));

        // Nothing is left to do: the projection holds what the registry holds, and a further recompute sends nothing.
        await RecomputeAsync(Patient(AdministrativeGender.Male, "S"), Subject("S", ResearchSubject.ResearchSubjectStatus.OffStudy), Procedure("S", "index"));
        Assert.Empty(await Store.GetPendingOutboxAsync(10, default));
    }

    /// <summary>The same dead retraction, with nothing new from the hospital: the replay's recompute sends it again.</summary>
    [Fact]
    public async Task DeadRetraction_Replayed_TheRecomputeSendsTheRetractionAgain()
    {
        var registry = new InMemoryRegistry();
        using var push = Push(registry);
        await RecomputeAsync(Patient(AdministrativeGender.Male, "S"), Subject("S", ResearchSubject.ResearchSubjectStatus.OnStudy), Procedure("S", "index"), Procedure("S", "return"), Event("S", "return-event"));
        Assert.Equal((1, 0, 0), await push.PushPendingAsync(default));
        await RecomputeAsync(Patient(AdministrativeGender.Male, "S"), Subject("S", ResearchSubject.ResearchSubjectStatus.OnStudy), Procedure("S", "index"));
        registry.RefuseNext = true;
        Assert.Equal((0, 1, 0), await push.PushPendingAsync(default));

        Assert.True(Assert.Single(await Store.ReplayDeadOutboxAsync(default)).Replayed);
        await RecomputeAsync(Patient(AdministrativeGender.Male, "S"), Subject("S", ResearchSubject.ResearchSubjectStatus.OnStudy), Procedure("S", "index"));
        Assert.Equal((1, 0, 0), await push.PushPendingAsync(default));

        Assert.False(registry.Holds(EventKey("return-event")));
        Assert.Equal("entered-in-error", registry.Status(ProcedureKey("return")));
    }

    /// <summary>A registry that applies each transaction's conditional PUTs and DELETEs by request URL.</summary>
    private sealed class InMemoryRegistry : IRegistrySink
    {
        private readonly Dictionary<string, JsonElement> _held = new(StringComparer.Ordinal);

        public bool RefuseNext { get; set; }

        public string Describe() => "in-memory";

        public bool Holds(RegistryKey key) => _held.ContainsKey(key.RequestUrl);

        public string? Gender(RegistryKey key) => _held[key.RequestUrl].TryGetProperty("gender", out var g) ? g.GetString() : null;

        public string? Status(RegistryKey key) => _held[key.RequestUrl].GetProperty("status").GetString();

        public Task<PushFailure?> SendAsync(OutboxItem item, CancellationToken cancellationToken)
        {
            if (RefuseNext)
            {
                RefuseNext = false;
                return Task.FromResult<PushFailure?>(new PushFailure("422 Unprocessable Entity", Permanent: true));
            }

            using var bundle = JsonDocument.Parse(item.Bundle);
            foreach (var entry in bundle.RootElement.GetProperty("entry").EnumerateArray())
            {
                var request = entry.GetProperty("request");
                var url = request.GetProperty("url").GetString()!;
                if (request.GetProperty("method").GetString() == "DELETE")
                {
                    _held.Remove(url);
                }
                else
                {
                    _held[url] = entry.GetProperty("resource").Clone();
                }
            }

            return Task.FromResult<PushFailure?>(null);
        }
    }
}
