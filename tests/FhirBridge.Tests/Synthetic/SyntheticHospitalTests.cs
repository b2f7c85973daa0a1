using System.Globalization;
using System.Text;
using System.Text.Json;
using FhirBridge.Cli.Synthetic;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Validation;

namespace FhirBridge.Tests.Synthetic;

/// <summary>
/// The synthetic hospital: determinism, strict FHIR validity, file format, referential integrity, plausible rates, and
/// a truth list that agrees with the evidence written (re-derived here from the spec, independently of the generator).
/// </summary>
public sealed class SyntheticHospitalTests : IClassFixture<SyntheticHospitalTests.Runs>
{
    private static readonly TimeSpan Local = TimeSpan.FromHours(8);
    private readonly Runs _runs;

    public SyntheticHospitalTests(Runs runs) => _runs = runs;

    [Fact]
    public void Generate_SameSeedTwice_WritesIdenticalBytes()
    {
        using var first = new TempDirectory();
        using var second = new TempDirectory();

        var a = SyntheticHospital.Generate(150, 5, first.Path);
        var b = SyntheticHospital.Generate(150, 5, second.Path);
        SyntheticHospital.WriteTruth(a, Path.Combine(first.Path, "truth.json"));
        SyntheticHospital.WriteTruth(b, Path.Combine(second.Path, "truth.json"));

        foreach (var name in SyntheticHospital.ResourceTypes.Select(t => t + ".ndjson").Append("truth.json"))
        {
            var left = File.ReadAllBytes(Path.Combine(first.Path, name));
            var right = File.ReadAllBytes(Path.Combine(second.Path, name));
            Assert.NotEmpty(left);
            Assert.True(left.AsSpan().SequenceEqual(right), $"{name} differs between two runs with the same seed.");
        }
    }

    [Fact]
    public void Generate_DifferentSeed_WritesDifferentProcedures()
    {
        using var first = new TempDirectory();
        using var second = new TempDirectory();

        SyntheticHospital.Generate(150, 5, first.Path);
        SyntheticHospital.Generate(150, 6, second.Path);

        var left = File.ReadAllBytes(Path.Combine(first.Path, "Procedure.ndjson"));
        var right = File.ReadAllBytes(Path.Combine(second.Path, "Procedure.ndjson"));
        Assert.False(left.AsSpan().SequenceEqual(right));
    }

    [Fact]
    public void Generate_300Patients_EveryLineDeserializesStrictlyAndValidates()
    {
        var run = _runs.Small;
        var deserializer = new FhirJsonDeserializer(); // strict by default
        var lines = 0;
        foreach (var type in SyntheticHospital.ResourceTypes)
        {
            foreach (var line in File.ReadLines(Path.Combine(run.Directory, type + ".ndjson")))
            {
                var resource = deserializer.DeserializeResource(line);
                Assert.Equal(type, resource.TypeName);
                var issues = resource.Validate(ModelInfo.ModelInspector, NarrativeValidationKind.None, null, true).ToList();
                Assert.True(issues.Count == 0, $"{type}/{resource.Id}: {string.Join("; ", issues.Select(i => i.Message))}");
                lines++;
            }
        }

        Assert.Equal(run.Result.LineCounts.Values.Sum(), lines);
        Assert.Equal(300, run.Result.LineCounts["Patient"]);
    }

    [Fact]
    public void Generate_300Patients_WritesUtf8NdjsonWithLfAndNoBom()
    {
        var run = _runs.Small;
        foreach (var type in SyntheticHospital.ResourceTypes)
        {
            var bytes = File.ReadAllBytes(Path.Combine(run.Directory, type + ".ndjson"));
            Assert.False(bytes.AsSpan().StartsWith(new byte[] { 0xEF, 0xBB, 0xBF }), $"{type}.ndjson starts with a BOM.");
            Assert.DoesNotContain((byte)'\r', bytes);
            Assert.Equal((byte)'\n', bytes[^1]);

            var lines = Encoding.UTF8.GetString(bytes).Split('\n')[..^1];
            Assert.Equal(run.Result.LineCounts[type], lines.Length);
            var prefix = "{\"resourceType\":\"" + type + "\"";
            Assert.All(lines, l => Assert.StartsWith(prefix, l, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Generate_300Patients_EveryTimestampCarriesPlus0800()
    {
        var run = _runs.Small;
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var type in SyntheticHospital.ResourceTypes)
        {
            foreach (var line in File.ReadLines(Path.Combine(run.Directory, type + ".ndjson")))
            {
                using var document = JsonDocument.Parse(line);
                foreach (var (name, value) in Strings(document.RootElement, "$"))
                {
                    if (value.Length > 10 && value[4] == '-' && value[7] == '-' && value[10] == 'T')
                    {
                        Assert.True(value.EndsWith("+08:00", StringComparison.Ordinal), $"{type} {name} = {value}");
                        seen[name] = seen.GetValueOrDefault(name) + 1;
                    }
                }
            }
        }

        foreach (var name in new[] { "lastUpdated", "start", "end", "performedDateTime", "recordedDate", "authoredOn", "effectiveDateTime" })
        {
            Assert.True(seen.GetValueOrDefault(name) > 0, $"No {name} timestamps were checked.");
        }
    }

    [Fact]
    public void Generate_5000Patients_EveryReferenceResolvesWithinTheOutput()
    {
        var run = _runs.Large;
        var ids = new HashSet<string>(StringComparer.Ordinal);
        ids.UnionWith(run.PatientIds.Select(id => "Patient/" + id));
        ids.UnionWith(run.Procedures.Keys.Select(id => "Procedure/" + id));
        ids.UnionWith(run.Encounters.Keys.Select(id => "Encounter/" + id));
        ids.UnionWith(run.Conditions.Keys.Select(id => "Condition/" + id));
        ids.UnionWith(run.Requests.Keys.Select(id => "ServiceRequest/" + id));
        ids.UnionWith(run.Locations.Keys.Select(id => "Location/" + id));
        ids.UnionWith(run.Organizations.Keys.Select(id => "Organization/" + id));

        var byProperty = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var type in SyntheticHospital.ResourceTypes)
        {
            foreach (var line in File.ReadLines(Path.Combine(run.Directory, type + ".ndjson")))
            {
                using var document = JsonDocument.Parse(line);
                foreach (var (property, reference) in References(document.RootElement, type))
                {
                    Assert.True(ids.Contains(reference), $"{type} {property} -> {reference} does not resolve.");
                    byProperty[property] = byProperty.GetValueOrDefault(property) + 1;
                }
            }
        }

        foreach (var property in new[]
        {
            "Procedure.subject", "Procedure.encounter", "Procedure.location", "Procedure.performer.onBehalfOf",
            "Procedure.reasonReference", "Procedure.basedOn", "Procedure.partOf", "Encounter.location.location",
            "Encounter.diagnosis.condition", "Encounter.serviceProvider", "Condition.encounter",
            "Observation.encounter", "ServiceRequest.encounter",
        })
        {
            Assert.True(byProperty.GetValueOrDefault(property) > 0, $"No {property} reference was written.");
        }
    }

    [Fact]
    public void Generate_5000Patients_CountsAndRatesArePlausible()
    {
        var result = _runs.Large.Result;
        var index = result.IndexOperations;
        var admissions = index.Count + result.RefusedIndexOperations.Count;

        var withReturn = index.Count(i => i.CountedReturnProcedureIds.Count > 0);
        var rate = (double)withReturn / index.Count;
        Assert.InRange(rate, 0.004, 0.02);
        Assert.InRange((double)index.Sum(i => i.CountedReturnProcedureIds.Count) / index.Count, 0.004, 0.025);

        // One spine admission each, about 5% a second one months later, each in an Encounter of its own.
        Assert.InRange((double)admissions, 5000 * 1.02, 5000 * 1.09);
        var admissionEncounters = index.Select(i => i.EncounterId).Concat(result.RefusedIndexOperations.Select(r => r.EncounterId)).ToList();
        Assert.Equal(admissions, admissionEncounters.Distinct(StringComparer.Ordinal).Count());
        Assert.True(_runs.Large.Encounters.Count > admissions, "No readmission Encounter was written.");

        var share = index.GroupBy(i => i.Cohort, StringComparer.Ordinal).ToDictionary(g => g.Key, g => (double)g.Count() / index.Count, StringComparer.Ordinal);
        Assert.InRange(share["degenerative"], 0.52, 0.68);
        Assert.InRange(share["deformity"], 0.08, 0.16);
        Assert.InRange(share["tumor"], 0.09, 0.17);
        Assert.InRange(share["fracture"], 0.11, 0.19);
        Assert.InRange(share["unclassified"], 0.005, 0.04);

        var excluded = index.SelectMany(i => i.ExcludedCandidates).GroupBy(c => c.Reason, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        Assert.InRange((double)excluded.GetValueOrDefault("not-in-theatre"), index.Count * 0.015, index.Count * 0.05);
        Assert.True(excluded.GetValueOrDefault("planned") > 0);
        Assert.True(excluded.GetValueOrDefault("other-department") > 0);
        Assert.True(excluded.GetValueOrDefault("unrelated-condition") > 0);
        Assert.Contains(index, i => i.OutsideWindowProcedureIds.Count > 0);
        Assert.Contains(index, i => i.WithdrawnProcedureIds.Count > 0);

        var refused = result.RefusedIndexOperations.GroupBy(r => r.Reason, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        Assert.InRange((double)refused.GetValueOrDefault("not-in-theatre"), admissions * 0.004, admissions * 0.02);
        Assert.InRange((double)refused.GetValueOrDefault("other-department"), admissions * 0.004, admissions * 0.02);
        Assert.InRange((double)refused.GetValueOrDefault("age-out-of-range"), admissions * 0.01, admissions * 0.035);

        // The line counts are the files' line counts, and every line is one resource of that type.
        foreach (var type in SyntheticHospital.ResourceTypes)
        {
            Assert.Equal(result.LineCounts[type], File.ReadLines(Path.Combine(_runs.Large.Directory, type + ".ndjson")).Count());
        }
    }

    [Fact]
    public void Generate_5000Patients_WritesTheHospitalStyleVariants()
    {
        var run = _runs.Large;
        var procedureLines = run.ProcedureVersions;
        var total = procedureLines.Count;
        var current = run.Procedures.Values.ToList();

        int Share(Func<JsonElement, bool> predicate) => current.Count(predicate);

        // Older versions then the current one: ~1% of Procedures twice, ~0.2% withdrawn.
        var twice = total - run.Procedures.Count;
        Assert.InRange((double)twice, total * 0.004, total * 0.025);
        Assert.InRange((double)Share(p => Text(p, "status") == "entered-in-error"), 1, total * 0.006);
        var firstLine = new Dictionary<string, (int Line, string Version)>(StringComparer.Ordinal);
        for (var line = 0; line < total; line++)
        {
            var id = Text(procedureLines[line], "id")!;
            var version = Text(procedureLines[line].GetProperty("meta"), "versionId")!;
            if (firstLine.TryGetValue(id, out var first))
            {
                Assert.Equal(("1", "2"), (first.Version, version)); // the older version comes first
            }
            else
            {
                firstLine[id] = (line, version);
            }
        }

        Assert.Equal(run.Procedures.Count, firstLine.Count);

        var icd9 = current.Select(p => p.GetProperty("code").GetProperty("coding")[0]).Where(c => Text(c, "system") == Icd9).Select(c => Text(c, "code")!).ToList();
        Assert.InRange((double)icd9.Count(c => !c.Contains('.', StringComparison.Ordinal)), icd9.Count * 0.05, icd9.Count * 0.15);
        Assert.InRange((double)icd9.Count(c => c.Contains("00x00", StringComparison.Ordinal)), icd9.Count * 0.05, icd9.Count * 0.15);
        Assert.True(Share(p => Text(p.GetProperty("code").GetProperty("coding")[0], "code") == "55705006") > 0);
        Assert.InRange((double)Share(p => p.TryGetProperty("performedDateTime", out _)), total * 0.1, total * 0.6);

        var principals = run.Result.IndexOperations.Select(i => run.Procedures[i.IndexProcedureId]).ToList();
        Assert.InRange((double)principals.Count(p => !p.TryGetProperty("location", out _)), principals.Count * 0.12, principals.Count * 0.28);
        Assert.InRange((double)principals.Count(p => !p.TryGetProperty("performer", out _)), principals.Count * 0.12, principals.Count * 0.28);
        Assert.Contains(principals, p => p.TryGetProperty("reasonCode", out _));

        var conditions = run.Conditions.Values.Select(c => Text(c.GetProperty("code").GetProperty("coding")[0], "code")!).ToList();
        Assert.InRange((double)conditions.Count(c => c.Length > 3 && !c.Contains('.', StringComparison.Ordinal)), conditions.Count * 0.05, conditions.Count * 0.15);
        Assert.Contains(conditions, c => c.Contains("00x00", StringComparison.Ordinal));
    }

    [Fact]
    public void Generate_5000Patients_TruthAgreesWithTheEvidenceWritten()
    {
        var run = _runs.Large;
        var days = new List<int>();
        var earlyMorningDay31 = 0;
        foreach (var index in run.Result.IndexOperations)
        {
            var principal = run.Procedures[index.IndexProcedureId];
            Assert.Equal("completed", Text(principal, "status"));
            Assert.Equal("Patient/" + index.PatientId, Ref(principal, "subject"));
            Assert.Equal("Encounter/" + index.EncounterId, Ref(principal, "encounter"));
            Assert.Equal(index.Start, StartText(principal));
            Assert.True(IsSpine(principal), index.IndexProcedureId);
            Assert.Equal("theatre", run.Setting(principal));
            Assert.True(run.IsOrthopaedics(principal), index.IndexProcedureId);
            Assert.InRange(run.Age(index.PatientId, principal), 18, 80);
            Assert.Equal(index.Cohort, run.Cohort(principal));

            var indexDay = LocalDate(StartText(principal));
            var indexEnd = EndText(principal) ?? StartText(principal);
            foreach (var id in index.CountedReturnProcedureIds)
            {
                var candidate = run.Procedures[id];
                var day = Days(indexDay, candidate);
                days.Add(day);
                Assert.InRange(day, 0, 30);
                Assert.True(Instant(StartText(candidate)) > Instant(indexEnd), id);
                Assert.True(Text(candidate, "status") is "completed" or "stopped", id);
                Assert.Null(run.Verdict(candidate, principal));
            }

            foreach (var excluded in index.ExcludedCandidates)
            {
                var candidate = run.Procedures[excluded.ProcedureId];
                Assert.InRange(Days(indexDay, candidate), 0, 30);
                Assert.True(Instant(StartText(candidate)) > Instant(indexEnd), excluded.ProcedureId);
                Assert.Equal(excluded.Reason, run.Verdict(candidate, principal));
            }

            foreach (var id in index.OutsideWindowProcedureIds)
            {
                var candidate = run.Procedures[id];
                var day = Days(indexDay, candidate);
                Assert.InRange(day, 31, 40);
                Assert.False(IsSpine(candidate), id); // else it would be an index operation of its own
                if (day == 31 && Instant(StartText(candidate)).UtcDateTime.Date < LocalDate(StartText(candidate)).ToDateTime(TimeOnly.MinValue))
                {
                    earlyMorningDay31++;
                }
            }

            foreach (var id in index.WithdrawnProcedureIds)
            {
                Assert.Equal("entered-in-error", Text(run.Procedures[id], "status"));
            }
        }

        // The window's edges are exercised: later the same day, and day 30.
        Assert.Contains(0, days);
        Assert.Contains(30, days);
        Assert.True(earlyMorningDay31 > 0, "No day-31 operation early in the morning (+08:00), which UTC would put on day 30.");

        foreach (var refused in run.Result.RefusedIndexOperations)
        {
            var principal = run.Procedures[refused.ProcedureId];
            Assert.True(IsSpine(principal), refused.ProcedureId);
            var age = run.Age(refused.PatientId, principal);
            var reason = run.Setting(principal) != "theatre" ? "not-in-theatre"
                : !run.IsOrthopaedics(principal) ? "other-department"
                : age is < 18 or > 80 ? "age-out-of-range"
                : null;
            Assert.Equal(refused.Reason, reason);
        }
    }

    [Fact]
    public void Generate_5000Patients_EveryProcedureIsAccountedForByTheTruth()
    {
        var run = _runs.Large;
        var principals = run.Result.IndexOperations.Select(i => (i.EncounterId, i.IndexProcedureId))
            .Concat(run.Result.RefusedIndexOperations.Select(r => (r.EncounterId, IndexProcedureId: r.ProcedureId)))
            .ToDictionary(p => p.EncounterId, p => run.Procedures[p.IndexProcedureId], StringComparer.Ordinal);
        var listed = new HashSet<string>(
            run.Result.IndexOperations.SelectMany(i => i.CountedReturnProcedureIds
                .Concat(i.ExcludedCandidates.Select(c => c.ProcedureId))
                .Concat(i.OutsideWindowProcedureIds)
                .Concat(i.WithdrawnProcedureIds)),
            StringComparer.Ordinal);
        var coProcedures = 0;
        foreach (var (id, procedure) in run.Procedures)
        {
            var encounterId = Ref(procedure, "encounter")!["Encounter/".Length..];
            if (listed.Contains(id))
            {
                // A candidate is an operation of its own: not grouped into the index operation.
                if (principals.TryGetValue(encounterId, out var index))
                {
                    var start = Instant(StartText(procedure));
                    var indexStart = Instant(StartText(index));
                    var indexEnd = EndText(index) is { } end ? Instant(end) : indexStart.AddHours(3);
                    Assert.True(start > indexEnd, $"{id} would be grouped into {Text(index, "id")}.");
                }

                continue;
            }

            if (principals.TryGetValue(encounterId, out var principal) && Text(principal, "id") == id)
            {
                continue;
            }

            // Otherwise a co-procedure of the index (or refused) operation of its encounter.
            Assert.True(principals.TryGetValue(encounterId, out principal), $"{id} is in no index admission and not in the truth.");
            var principalId = Text(principal, "id")!;
            var coStart = Instant(StartText(procedure));
            var principalStart = Instant(StartText(principal));
            var partOf = procedure.TryGetProperty("partOf", out var parts)
                && parts.EnumerateArray().Any(p => Text(p, "reference") == "Procedure/" + principalId);
            var sameInstant = coStart == principalStart;
            var inPeriod = EndText(principal) is { } principalEnd && coStart >= principalStart && coStart <= Instant(principalEnd);
            var inSession = EndText(principal) is null && coStart >= principalStart && coStart <= principalStart.AddHours(3);
            Assert.True(partOf || sameInstant || inPeriod || inSession, $"{id} does not group into {principalId}.");

            // The principal is the earliest Procedure of its operation, ties broken by id (ordinal).
            Assert.True(coStart > principalStart || string.CompareOrdinal(principalId, id) < 0, $"{id} would be the principal instead of {principalId}.");
            coProcedures++;
        }

        Assert.True(coProcedures > run.Result.IndexOperations.Count / 2, "Too few co-procedures were written.");
    }

    [Fact]
    public void WriteTruth_Result_WritesTheSameOperationsAsTheResult()
    {
        var run = _runs.Small;
        var file = Path.Combine(run.Directory, "truth.json");

        SyntheticHospital.WriteTruth(run.Result, file);

        var bytes = File.ReadAllBytes(file);
        Assert.False(bytes.AsSpan().StartsWith(new byte[] { 0xEF, 0xBB, 0xBF }));
        Assert.DoesNotContain((byte)'\r', bytes);
        using var document = JsonDocument.Parse(bytes);
        var root = document.RootElement;
        Assert.Equal(300, root.GetProperty("patients").GetInt32());
        var index = root.GetProperty("indexOperations");
        Assert.Equal(run.Result.IndexOperations.Count, index.GetArrayLength());
        Assert.Equal(run.Result.RefusedIndexOperations.Count, root.GetProperty("refusedIndexOperations").GetArrayLength());
        for (var i = 0; i < index.GetArrayLength(); i++)
        {
            var expected = run.Result.IndexOperations[i];
            Assert.Equal(expected.IndexProcedureId, index[i].GetProperty("indexProcedureId").GetString());
            Assert.Equal(expected.Cohort, index[i].GetProperty("cohort").GetString());
            Assert.Equal(expected.CountedReturnProcedureIds, index[i].GetProperty("countedReturnProcedureIds").EnumerateArray().Select(e => e.GetString()!));
            Assert.Equal(expected.ExcludedCandidates.Select(c => c.Reason), index[i].GetProperty("excludedCandidates").EnumerateArray().Select(e => e.GetProperty("reason").GetString()!));
        }
    }

    [Fact]
    public void Generate_NegativePatients_Throws()
    {
        using var directory = new TempDirectory();
        Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticHospital.Generate(-1, 1, directory.Path));
    }

    // ------------------------------------------------------------------ The rule, re-derived from the spec

    private const string Icd9 = "http://hl7.org/fhir/sid/icd-9-cm";
    private const string Icd10 = "http://hl7.org/fhir/sid/icd-10";
    private const string Snomed = "http://snomed.info/sct";

    private static readonly string[] SpineSurgery =
    [
        "03.01", "03.02", "03.09", "03.4", "03.53", "03.59", "03.6", "80.50", "80.51", "80.53", "80.54", "80.59",
        "81.00", "81.01", "81.02", "81.03", "81.04", "81.05", "81.06", "81.07", "81.08",
        "81.30", "81.31", "81.32", "81.33", "81.34", "81.35", "81.36", "81.37", "81.38", "81.39", "81.61", "81.65", "81.66",
        "84.60", "84.61", "84.62", "84.63", "84.64", "84.65", "84.66", "84.67", "84.68", "84.69",
        "84.80", "84.81", "84.82", "84.83", "84.84", "84.85",
    ];

    private static readonly string[] TheatreProcedure = ["86.22", "78.59", "78.69", "77.69", "77.89", "77.99", "39.98"];
    private static readonly string[] BedsideProcedure = ["86.04", "86.28", "86.59", "93.57", "96.59", "02.94", "02.95", "93.41", "93.42", "03.31"];

    private static readonly (string Cohort, string[] Codes)[] Cohorts =
    [
        ("degenerative", ["M43.1", "M47", "M48.0", "M48.1", "M48.8", "M50", "M51", "M53.2"]),
        ("deformity", ["M40", "M41", "M43.8", "M96.3", "M96.4", "M96.5", "Q67.5", "Q76.3", "Q76.4"]),
        ("tumor", ["C41.2", "C41.4", "C70.1", "C72.0", "C72.1", "C79.5", "C90.0", "D16.6", "D32.1", "D33.4", "D42.1", "D43.4", "D48.0"]),
        ("fracture", ["M48.5", "M80", "S12", "S13", "S14.1", "S22.0", "S22.1", "S23", "S24.1", "S32.0", "S32.1", "S33", "S34.1", "T08"]),
    ];

    private static bool IsUnrelated(string icd10)
    {
        var chapter = icd10[0];
        var block = int.Parse(icd10.AsSpan(1, 2), CultureInfo.InvariantCulture);
        return chapter is 'I' or 'J' or 'K' or 'N' or 'O'
            || (chapter == 'S' && block >= 42)
            || (chapter == 'M' && block <= 25);
    }

    private static string NormaliseIcd9(string code) =>
        code.Contains('.', StringComparison.Ordinal) || code.Length < 3 ? code : code[..2] + "." + code[2..];

    private static string NormaliseIcd10(string code) =>
        code.Contains('.', StringComparison.Ordinal) || code.Length <= 3 ? code : code[..3] + "." + code[3..];

    private static bool PrefixIn(string code, IEnumerable<string> mapped) => mapped.Any(m => code.StartsWith(m, StringComparison.Ordinal));

    private static (string System, string Code) Coding(JsonElement concept)
    {
        var coding = concept.GetProperty("coding")[0];
        return (Text(coding, "system")!, Text(coding, "code")!);
    }

    private static bool InIcd9(JsonElement procedure, string[] mapped)
    {
        var (system, code) = Coding(procedure.GetProperty("code"));
        return system == Icd9 && PrefixIn(NormaliseIcd9(code), mapped);
    }

    private static bool IsSpine(JsonElement procedure)
    {
        var (system, code) = Coding(procedure.GetProperty("code"));
        return (system == Snomed && code == "55705006") || InIcd9(procedure, SpineSurgery);
    }

    private static string StartText(JsonElement procedure) =>
        procedure.TryGetProperty("performedDateTime", out var at) ? at.GetString()! : procedure.GetProperty("performedPeriod").GetProperty("start").GetString()!;

    private static string? EndText(JsonElement procedure) =>
        procedure.TryGetProperty("performedPeriod", out var period) && period.TryGetProperty("end", out var end) ? end.GetString() : null;

    private static DateTimeOffset Instant(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);

    private static DateOnly LocalDate(string text) => DateOnly.FromDateTime(Instant(text).ToOffset(Local).DateTime);

    private static int Days(DateOnly indexDay, JsonElement candidate) => LocalDate(StartText(candidate)).DayNumber - indexDay.DayNumber;

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string? Ref(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? Text(value, "reference") : null;

    private static IEnumerable<(string Path, string Value)> Strings(JsonElement element, string name)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    foreach (var item in Strings(property.Value, property.Name))
                    {
                        yield return item;
                    }
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray().SelectMany(e => Strings(e, name)))
                {
                    yield return item;
                }

                break;
            case JsonValueKind.String:
                yield return (name, element.GetString()!);
                break;
            default:
                break;
        }
    }

    private static IEnumerable<(string Property, string Reference)> References(JsonElement element, string path)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray().SelectMany(e => References(e, path)))
            {
                yield return item;
            }
        }
        else if (element.ValueKind == JsonValueKind.Object)
        {
            if (element.TryGetProperty("reference", out var reference) && reference.ValueKind == JsonValueKind.String)
            {
                yield return (path, reference.GetString()!);
            }

            foreach (var property in element.EnumerateObject())
            {
                foreach (var item in References(property.Value, path + "." + property.Name))
                {
                    yield return item;
                }
            }
        }
    }

    /// <summary>Generates the shared runs once for the class and removes them afterwards.</summary>
    public sealed class Runs : IDisposable
    {
        private readonly Lazy<LoadedRun> _small = new(() => new LoadedRun(300, 20_231));
        private readonly Lazy<LoadedRun> _large = new(() => new LoadedRun(5_000, 8_100));

        public LoadedRun Small => _small.Value;

        public LoadedRun Large => _large.Value;

        public void Dispose()
        {
            if (_small.IsValueCreated)
            {
                _small.Value.Dispose();
            }

            if (_large.IsValueCreated)
            {
                _large.Value.Dispose();
            }
        }
    }

    /// <summary>A generated run with the current version of each resource loaded for the evidence checks.</summary>
    public sealed class LoadedRun : IDisposable
    {
        private readonly TempDirectory _directory = new();
        private readonly Dictionary<string, string> _birthDates = new(StringComparer.Ordinal);

        internal LoadedRun(int patients, int seed)
        {
            Result = SyntheticHospital.Generate(patients, seed, Directory);
            foreach (var line in File.ReadLines(Path.Combine(Directory, "Procedure.ndjson")))
            {
                var procedure = JsonDocument.Parse(line).RootElement;
                ProcedureVersions.Add(procedure);
                var id = Text(procedure, "id")!;
                if (!Procedures.TryGetValue(id, out var known)
                    || string.CompareOrdinal(Text(known.GetProperty("meta"), "versionId"), Text(procedure.GetProperty("meta"), "versionId")) < 0)
                {
                    Procedures[id] = procedure;
                }
            }

            Load("Encounter", Encounters);
            Load("Condition", Conditions);
            Load("ServiceRequest", Requests);
            Load("Location", Locations);
            Load("Organization", Organizations);
            foreach (var line in File.ReadLines(Path.Combine(Directory, "Patient.ndjson")))
            {
                using var patient = JsonDocument.Parse(line);
                _birthDates[Text(patient.RootElement, "id")!] = Text(patient.RootElement, "birthDate")!;
            }

            PatientIds = [.. _birthDates.Keys];

        }

        public string Directory => _directory.Path;

        public SyntheticResult Result { get; }

        public List<JsonElement> ProcedureVersions { get; } = [];

        public IReadOnlyList<string> PatientIds { get; }

        public Dictionary<string, JsonElement> Procedures { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, JsonElement> Encounters { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, JsonElement> Conditions { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, JsonElement> Requests { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, JsonElement> Locations { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, JsonElement> Organizations { get; } = new(StringComparer.Ordinal);

        public void Dispose() => _directory.Dispose();

        /// <summary>Setting: the Procedure's location, else a theatre the encounter lists at its start, else its code.</summary>
        public string Setting(JsonElement procedure)
        {
            var location = Ref(procedure, "location");
            if (location is not null)
            {
                var type = LocationType(location);
                if (type is not null)
                {
                    return type;
                }
            }

            var start = Instant(StartText(procedure));
            var encounter = Encounters[Ref(procedure, "encounter")!["Encounter/".Length..]];
            if (encounter.TryGetProperty("location", out var places))
            {
                foreach (var place in places.EnumerateArray())
                {
                    var period = place.GetProperty("period");
                    if (LocationType(Ref(place, "location")!) == "theatre"
                        && Instant(Text(period, "start")!) <= start && start <= Instant(Text(period, "end")!))
                    {
                        return "theatre";
                    }
                }
            }

            if (InIcd9(procedure, BedsideProcedure))
            {
                return "ward";
            }

            var surgical = procedure.TryGetProperty("category", out var category) && Coding(category) == (Snomed, "387713003");
            return IsSpine(procedure) || InIcd9(procedure, TheatreProcedure) || surgical ? "theatre" : "not-in-theatre";
        }

        /// <summary>Department: the performers' onBehalfOf, else the encounter's serviceProvider.</summary>
        public bool IsOrthopaedics(JsonElement procedure)
        {
            if (procedure.TryGetProperty("performer", out var performers))
            {
                var organizations = performers.EnumerateArray().Select(p => Ref(p, "onBehalfOf")).OfType<string>().ToList();
                if (organizations.Count > 0)
                {
                    return organizations.Any(IsOrthopaedicOrganization);
                }
            }

            var encounter = Encounters[Ref(procedure, "encounter")!["Encounter/".Length..]];
            Assert.False(encounter.TryGetProperty("serviceType", out _));
            var provider = Ref(encounter, "serviceProvider");
            return provider is not null && IsOrthopaedicOrganization(provider);
        }

        public int Age(string patientId, JsonElement procedure)
        {
            var birth = DateOnly.ParseExact(_birthDates[patientId], "yyyy-MM-dd", CultureInfo.InvariantCulture);
            var on = LocalDate(StartText(procedure));
            var years = on.Year - birth.Year;
            return on < birth.AddYears(years) ? years - 1 : years;
        }

        /// <summary>Cohort: principal reasonCode, then its reasonReference Conditions, then the encounter's diagnoses by rank.</summary>
        public string Cohort(JsonElement principal)
        {
            var diagnoses = new List<string>();
            if (principal.TryGetProperty("reasonCode", out var codes))
            {
                diagnoses.AddRange(codes.EnumerateArray().Select(c => Coding(c).Code));
            }

            if (principal.TryGetProperty("reasonReference", out var references))
            {
                diagnoses.AddRange(references.EnumerateArray().Select(r => ConditionCode(Text(r, "reference")!)));
            }

            var encounter = Encounters[Ref(principal, "encounter")!["Encounter/".Length..]];
            if (encounter.TryGetProperty("diagnosis", out var listed))
            {
                diagnoses.AddRange(listed.EnumerateArray()
                    .Select((d, order) => (Rank: d.TryGetProperty("rank", out var rank) ? rank.GetInt32() : int.MaxValue, order, d))
                    .OrderBy(d => d.Rank).ThenBy(d => d.order)
                    .Select(d => ConditionCode(Ref(d.d, "condition")!)));
            }

            foreach (var diagnosis in diagnoses.Select(NormaliseIcd10))
            {
                foreach (var (cohort, mapped) in Cohorts)
                {
                    if (PrefixIn(diagnosis, mapped))
                    {
                        return cohort;
                    }
                }
            }

            return "unclassified";
        }

        /// <summary>The verdict on a single-Procedure candidate: null when counted, else the first failing reason.</summary>
        public string? Verdict(JsonElement candidate, JsonElement index)
        {
            if (Setting(candidate) != "theatre")
            {
                return "not-in-theatre";
            }

            if (!IsOrthopaedics(candidate))
            {
                return "other-department";
            }

            if (candidate.TryGetProperty("basedOn", out var basedOn))
            {
                var indexStart = Instant(StartText(index));
                foreach (var reference in basedOn.EnumerateArray().Select(b => Text(b, "reference")!))
                {
                    Assert.StartsWith("ServiceRequest/", reference, StringComparison.Ordinal);
                    var request = Requests[reference["ServiceRequest/".Length..]];
                    if (Text(request, "intent") == "plan" || Instant(Text(request, "authoredOn")!) <= indexStart)
                    {
                        return "planned";
                    }
                }
            }

            var reasons = new List<string>();
            if (candidate.TryGetProperty("reasonCode", out var codes))
            {
                reasons.AddRange(codes.EnumerateArray().Select(c => Coding(c).Code));
            }

            if (candidate.TryGetProperty("reasonReference", out var references))
            {
                reasons.AddRange(references.EnumerateArray().Select(r => ConditionCode(Text(r, "reference")!)));
            }

            return reasons.Count > 0 && reasons.Select(NormaliseIcd10).All(IsUnrelated) ? "unrelated-condition" : null;
        }

        private string ConditionCode(string reference)
        {
            Assert.StartsWith("Condition/", reference, StringComparison.Ordinal);
            var (system, code) = Coding(Conditions[reference["Condition/".Length..]].GetProperty("code"));
            Assert.Equal(Icd10, system);
            return code;
        }

        private string? LocationType(string reference)
        {
            var (system, code) = Coding(Locations[reference["Location/".Length..]].GetProperty("type")[0]);
            Assert.Equal(Snomed, system);
            return code switch
            {
                "225738002" => "theatre",
                "225746001" => "ward",
                _ => null,
            };
        }

        private bool IsOrthopaedicOrganization(string reference) =>
            Coding(Organizations[reference["Organization/".Length..]].GetProperty("type")[0]) == (Snomed, "394801008");

        private void Load(string type, Dictionary<string, JsonElement> into)
        {
            foreach (var line in File.ReadLines(Path.Combine(Directory, type + ".ndjson")))
            {
                var element = JsonDocument.Parse(line).RootElement;
                into[Text(element, "id")!] = element;
            }
        }
    }

    /// <summary>A fresh directory under the system temp directory, deleted on dispose.</summary>
    public sealed class TempDirectory : IDisposable
    {
        public TempDirectory() => Path = Directory.CreateTempSubdirectory("fhirbridge-synth-").FullName;

        public string Path { get; }

        public void Dispose()
        {
            if (Directory.Exists(Path))
            {
                Directory.Delete(Path, recursive: true);
            }
        }
    }
}
