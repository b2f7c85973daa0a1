using System.Text.Json;
using FhirBridge.TestServer;

namespace FhirBridge.Tests.Cli;

/// <summary>
/// <c>fhirbridge outbox list</c> and <c>replay</c> end to end: <c>run --once</c> pushes a Directory source's change sets
/// to the FHIR test server as the registry, which refuses some; the dead letters are listed with the registry's message,
/// replayed (their patients marked for recompute), and their subjects sent again by the next run.
/// </summary>
public sealed class OutboxCommandTests : IAsyncLifetime
{
    private const string Key = "test-key-0123456789abcdef";
    private const string AsOf = "2024-12-31T00:00:00+08:00";
    private const string Refusal = "ResearchSubject.assignedArm: not an arm of this registry";
    private readonly string _dir = Directory.CreateTempSubdirectory("fhirbridge-outbox-cli-").FullName;
    private FhirTestServer _registry = null!;
    private string _config = null!;

    public async Task InitializeAsync()
    {
        _registry = await FhirTestServer.StartAsync();
        _config = Path.Combine(_dir, "appsettings.json");
        var input = Path.Combine(Fhirbridge.FixturesDirectory, "hospital-a").Replace("\\", "/", StringComparison.Ordinal);
        await File.WriteAllTextAsync(_config, $$"""
            { "FhirBridge": {
                "Sources": [ { "Name": "hospital-a", "Kind": "Directory", "Path": "{{input}}", "TimeZone": "Asia/Shanghai" } ],
                "Registry": { "Kind": "Fhir", "BaseUrl": "{{_registry.BaseUrl}}", "TimeoutSeconds": 20 },
                "Storage": { "ConnectionString": "state/state.db" } } }
            """);
    }

    public async Task DisposeAsync()
    {
        await _registry.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private Fhirbridge.Result RunOnce() =>
        Fhirbridge.Run(new Dictionary<string, string> { ["FhirBridge__Pseudonymization__Key"] = Key }, "run", "--once", "--config", _config, "--as-of", AsOf);

    private Fhirbridge.Result Outbox(params string[] args) => Fhirbridge.Run(["outbox", .. args, "--config", _config]);

    private List<JsonElement> Items(string state)
    {
        var list = Outbox("list", "--state", state, "--json");
        Assert.True(list.ExitCode == 0, list.Stderr);
        using var document = JsonDocument.Parse(list.Stdout);
        return [.. document.RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    /// <summary>The fixture gives two change sets; the registry refuses the first <paramref name="refused"/> transactions with 422.</summary>
    private void RunWithRefusals(int refused)
    {
        if (refused > 0)
        {
            _registry.Faults.Enqueue(Fault.Status(422, Refusal), FhirInteraction.Transaction, times: refused);
        }

        var run = RunOnce();
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Contains($"registry   {2 - refused} change sets sent to {_registry.BaseUrl}; {refused} dead letters, 0 pending", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void OutboxList_DeadLetter_ShowsTheRegistrysMessage()
    {
        RunWithRefusals(1);

        var table = Outbox("list", "--state", "dead");

        Assert.True(table.ExitCode == 0, table.Stderr);
        var lines = table.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("id  source      subject", lines[0], StringComparison.Ordinal);
        Assert.Matches(@"^1\s+hospital-a\s+\S{12}…\s+dead\s+1\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+422 Unprocessable Entity: error invalid: " + Refusal.Replace(".", "\\.", StringComparison.Ordinal) + "$", lines[1]);
        Assert.StartsWith("outbox: 0 pending, 1 sent, 1 dead; showing 1 (dead, newest first)", lines[2], StringComparison.Ordinal);
        var dead = Assert.Single(Items("dead"));
        Assert.Equal("422 Unprocessable Entity: error invalid: " + Refusal, dead.GetProperty("lastError").GetString());
        Assert.Equal(JsonValueKind.String, dead.GetProperty("deadAt").ValueKind);
        Assert.False(dead.TryGetProperty("patient", out _)); // the source's patient id stays in the store
    }

    [Fact]
    public void OutboxReplay_Id_MarksThePatientForRecompute_AndTheNextRunSendsTheSubjectAsItIsThen()
    {
        RunWithRefusals(1);
        var dead = Assert.Single(Items("dead"));
        var deadId = dead.GetProperty("id").GetInt64();

        var replay = Outbox("replay", deadId.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.True(replay.ExitCode == 0, replay.Stderr);
        Assert.StartsWith($"replayed dead letter {deadId} (source hospital-a, subject ", replay.Stdout, StringComparison.Ordinal);
        Assert.Contains("its patient is recomputed at the next run", replay.Stdout, StringComparison.Ordinal);
        Assert.Equal(1, _registry.ResourceCount("ResearchSubject")); // replay only marks
        Assert.Empty(Items("pending"));
        Assert.Equal(JsonValueKind.String, Assert.Single(Items("dead")).GetProperty("replayedAt").ValueKind);
        Assert.Contains("replayed ", Outbox("list", "--state", "dead").Stdout, StringComparison.Ordinal);

        var next = RunOnce();

        Assert.True(next.ExitCode == 0, next.Stdout + next.Stderr);
        Assert.Contains("registry   1 change sets sent to", next.Stdout, StringComparison.Ordinal);
        Assert.Equal(2, _registry.ResourceCount("ResearchSubject"));
        var resent = Assert.Single(Items("sent"), i => i.GetProperty("id").GetInt64() > deadId + 1);
        Assert.Equal(dead.GetProperty("subjectKey").GetString(), resent.GetProperty("subjectKey").GetString());
        Assert.Equal(JsonValueKind.Null, resent.GetProperty("replayOf").ValueKind); // a new change set, not a copy
        Assert.Equal($"outbox item {deadId} was replayed already", Outbox("replay", deadId.ToString(System.Globalization.CultureInfo.InvariantCulture)).Stderr.Trim()["fhirbridge: error: ".Length..]);
    }

    [Fact]
    public void OutboxReplay_All_MarksEveryDeadLettersPatient_AndTheNextRunSendsThem()
    {
        RunWithRefusals(2);

        var replay = Outbox("replay", "--all");

        Assert.True(replay.ExitCode == 0, replay.Stderr);
        Assert.Contains("replayed 2 of 2 dead letters", replay.Stdout, StringComparison.Ordinal);
        Assert.Empty(Items("pending"));
        Assert.Contains("registry   2 change sets sent to", RunOnce().Stdout, StringComparison.Ordinal);
        Assert.Equal(2, _registry.ResourceCount("ResearchSubject"));
        Assert.Contains("no dead letters to replay", Outbox("replay", "--all").Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void OutboxReplay_UnknownId_Exits2WithOneLine()
    {
        RunWithRefusals(0);

        var replay = Outbox("replay", "999");

        Assert.Equal(2, replay.ExitCode);
        Assert.Equal("fhirbridge: error: outbox item 999 does not exist", replay.Stderr.TrimEnd());
        Assert.Equal("", replay.Stdout);
    }
}
