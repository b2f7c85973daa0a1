using System.Text.Json;
using System.Text.RegularExpressions;
using FhirBridge.Cli.Synthetic;

namespace FhirBridge.Tests.Cli;

/// <summary>
/// The rule against an independent oracle: the synthetic generator writes each scenario on purpose (a counted
/// return, a ward debridement, a staged operation, another department, an unrelated condition, a refused index) and
/// records what it intended; <c>fhirbridge detect</c> must find exactly that, whatever the ids look like.
/// </summary>
public sealed class SyntheticHospitalDetectionTests : IDisposable
{
    private readonly string _out = Directory.CreateTempSubdirectory("fhirbridge-synth-").FullName;

    public void Dispose() => Directory.Delete(_out, recursive: true);

    [Fact]
    public void Detect_SyntheticHospital_FindsExactlyWhatTheGeneratorIntended()
    {
        var data = Path.Combine(_out, "data");
        var truth = SyntheticHospital.Generate(2000, 11, data);

        var run = Fhirbridge.Run("detect", "--input", data, "--as-of", "2026-01-01T00:00:00+08:00", "--report", Path.Combine(_out, "report.json"));

        Assert.True(run.ExitCode == 0, run.Stderr);
        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(_out, "report.json")));
        var subjects = report.RootElement.GetProperty("subjects").EnumerateArray()
            .Select(s => $"{s.GetProperty("patient").GetString()} {s.GetProperty("index").GetString()} {s.GetProperty("cohort").GetString()} returns:"
                + string.Join(",", s.GetProperty("returns").EnumerateArray().Select(r => r.GetProperty("procedure").GetString()).Order(StringComparer.Ordinal)))
            .Order(StringComparer.Ordinal).ToList();
        var intendedSubjects = truth.IndexOperations
            .Select(i => $"Patient/{i.PatientId} Procedure/{i.IndexProcedureId} {i.Cohort} returns:"
                + string.Join(",", i.CountedReturnProcedureIds.Select(p => "Procedure/" + p).Order(StringComparer.Ordinal)))
            .Order(StringComparer.Ordinal).ToList();
        Assert.Equal(intendedSubjects, subjects);

        var excluded = report.RootElement.GetProperty("excluded").EnumerateArray()
            .Select(e => $"{e.GetProperty("procedure").GetString()} {(e.GetProperty("index").ValueKind == JsonValueKind.Null ? "-" : e.GetProperty("index").GetString())} {e.GetProperty("reason").GetString()}")
            .Order(StringComparer.Ordinal).ToList();
        var intendedExcluded = truth.IndexOperations
            .SelectMany(i => i.ExcludedCandidates.Select(c => $"Procedure/{c.ProcedureId} Procedure/{i.IndexProcedureId} {c.Reason}"))
            .Concat(truth.RefusedIndexOperations.Select(r => $"Procedure/{r.ProcedureId} - {r.Reason}"))
            .Order(StringComparer.Ordinal).ToList();
        Assert.Equal(intendedExcluded, excluded);

        // The run must exercise every reason, or the comparison above proves less than it seems.
        foreach (var reason in new[] { "not-in-theatre", "other-department", "planned", "unrelated-condition", "age-out-of-range" })
        {
            Assert.Contains(excluded, e => e.EndsWith(" " + reason, StringComparison.Ordinal));
        }

        Assert.Contains(subjects, s => !s.EndsWith("returns:", StringComparison.Ordinal));
    }

    [Fact]
    public void Detect_SyntheticHospitalWithOpaqueIds_FindsWhatItFindsWithTheGeneratorsIds()
    {
        // Hospital ids are often opaque strings; the generator numbers them, so their order follows the data. The same
        // hospital with opaque ids must give the same report, the numbered one read through the same renaming: ids may
        // break ties (the principal Procedure), never decide what is grouped or counted.
        var data = Path.Combine(_out, "data");
        SyntheticHospital.Generate(2000, 11, data);
        var opaque = Path.Combine(_out, "opaque");
        SyntheticHospital.Generate(2000, 11, opaque, SyntheticIdStyle.Opaque);

        var renamed = Report(data, "plain.json", reference => reference[..(reference.IndexOf('/', StringComparison.Ordinal) + 1)] + SyntheticHospital.OpaqueId(reference[(reference.IndexOf('/', StringComparison.Ordinal) + 1)..]));
        var asRead = Report(opaque, "opaque.json", reference => reference);

        Assert.Equal(renamed.Subjects, asRead.Subjects);
        Assert.Equal(renamed.Excluded, asRead.Excluded);
        Assert.True(renamed.Subjects.Count > 500, $"{renamed.Subjects.Count} subjects");
    }

    [Fact]
    public void Synth_OpaqueIds_WritesTheSameDataWithEveryIdAndReferenceHashed()
    {
        var numbered = SyntheticHospital.Generate(300, 5, Path.Combine(_out, "numbered"));
        var opaque = SyntheticHospital.Generate(300, 5, Path.Combine(_out, "opaque"), SyntheticIdStyle.Opaque);

        // Line by line, the opaque files are the numbered ones with each id and each reference's id replaced by its hash:
        // nothing else changed, and no numbered id is left.
        var idOrReference = new Regex("(\"id\":\"|\"reference\":\"[A-Za-z]+/)([^\"]+)\"");
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var references = new List<string>();
        foreach (var file in Directory.GetFiles(numbered.OutDirectory, "*.ndjson"))
        {
            var expected = File.ReadLines(file).Select(line => idOrReference.Replace(line, m => m.Groups[1].Value + SyntheticHospital.OpaqueId(m.Groups[2].Value) + "\"")).ToList();
            var written = File.ReadAllLines(Path.Combine(opaque.OutDirectory, Path.GetFileName(file)));
            Assert.Equal(expected, written);
            foreach (var line in written)
            {
                using var resource = JsonDocument.Parse(line);
                ids.Add(resource.RootElement.GetProperty("resourceType").GetString() + "/" + resource.RootElement.GetProperty("id").GetString());
                references.AddRange(idOrReference.Matches(line).Where(m => m.Groups[1].Value.StartsWith("\"reference", StringComparison.Ordinal))
                    .Select(m => m.Groups[1].Value[13..] + m.Groups[2].Value));
            }
        }

        // Every id is a hash, and every reference still resolves, so the data is as connected as before.
        Assert.All(ids, id => Assert.Matches("^[A-Za-z]+/[0-9a-f]{24}$", id));
        Assert.NotEmpty(references);
        Assert.All(references, r => Assert.Contains(r, ids));

        // The truth names the written ids.
        Assert.Equal(numbered.IndexOperations.Select(i => SyntheticHospital.OpaqueId(i.PatientId) + " " + SyntheticHospital.OpaqueId(i.IndexProcedureId) + " " + string.Join(",", i.CountedReturnProcedureIds.Select(SyntheticHospital.OpaqueId))),
            opaque.IndexOperations.Select(i => i.PatientId + " " + i.IndexProcedureId + " " + string.Join(",", i.CountedReturnProcedureIds)));
        Assert.Equal(numbered.RefusedIndexOperations.Select(r => SyntheticHospital.OpaqueId(r.ProcedureId)), opaque.RefusedIndexOperations.Select(r => r.ProcedureId));
        Assert.All(opaque.IndexOperations, i => Assert.Contains("Procedure/" + i.IndexProcedureId, ids));
    }

    // The subjects and the exclusions of a detect report, one line each, sorted, in terms ids cannot change: the
    // patient (read through the given map), the operation's start, cohort, outcome and the days to each counted return;
    // each exclusion's reason and whether it refused an index or a candidate. Which Procedure names an operation is
    // the earliest, ties broken by id (spec, "Operations"), so with other ids it may be another of the same instant.
    private (List<string> Subjects, List<string> Excluded) Report(string input, string name, Func<string, string> map)
    {
        var path = Path.Combine(_out, name);
        var run = Fhirbridge.Run("detect", "--input", input, "--as-of", "2026-01-01T00:00:00+08:00", "--report", path);
        Assert.True(run.ExitCode == 0, run.Stderr);
        using var report = JsonDocument.Parse(File.ReadAllText(path));
        var subjects = report.RootElement.GetProperty("subjects").EnumerateArray()
            .Select(s => $"{map(s.GetProperty("patient").GetString()!)} {s.GetProperty("indexStart").GetString()} {s.GetProperty("cohort").GetString()} {s.GetProperty("outcome").GetString()} returns:"
                + string.Join(",", s.GetProperty("returns").EnumerateArray().Select(r => r.GetProperty("daysAfterIndex").GetInt32()).Order()))
            .Order(StringComparer.Ordinal).ToList();
        var excluded = report.RootElement.GetProperty("excluded").EnumerateArray()
            .Select(e => $"{(e.GetProperty("index").ValueKind == JsonValueKind.Null ? "index" : "candidate")} {e.GetProperty("reason").GetString()}")
            .Order(StringComparer.Ordinal).ToList();
        return (subjects, excluded);
    }

    [Fact]
    public void Synth_CommittedSample_IsReproducedByTheCommandItNames()
    {
        // README: the sample is `fhirbridge synth --patients 500 --seed 4`. Same seed, same bytes.
        var run = Fhirbridge.Run("synth", "--patients", "500", "--seed", "4", "--out", _out);

        Assert.True(run.ExitCode == 0, run.Stderr);
        var committed = Path.Combine(Fhirbridge.RepositoryRoot, "samples", "synthetic-hospital");
        var files = Directory.GetFiles(committed).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(files, Directory.GetFiles(_out).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var file in files)
        {
            Assert.True(File.ReadAllBytes(Path.Combine(committed, file!)).SequenceEqual(File.ReadAllBytes(Path.Combine(_out, file!))), $"{file} differs from the committed sample");
        }
    }

    [Fact]
    public void Synth_OpaqueIdsOption_WritesWhatTheOpaqueStyleGives()
    {
        var cli = Path.Combine(_out, "cli");
        var run = Fhirbridge.Run("synth", "--patients", "30", "--seed", "5", "--out", cli, "--opaque-ids");

        Assert.True(run.ExitCode == 0, run.Stderr);
        var api = SyntheticHospital.Generate(30, 5, Path.Combine(_out, "api"), SyntheticIdStyle.Opaque);
        foreach (var type in SyntheticHospital.ResourceTypes)
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(api.OutDirectory, type + ".ndjson")), File.ReadAllBytes(Path.Combine(cli, type + ".ndjson")));
        }

        Assert.Contains("\"id\":\"" + SyntheticHospital.OpaqueId("p000001") + "\"", File.ReadAllText(Path.Combine(cli, "Patient.ndjson")), StringComparison.Ordinal);
    }

    [Fact]
    public void Synth_BadPatientCount_ExitsNonZeroNamingTheOption()
    {
        var run = Fhirbridge.Run("synth", "--patients", "-1", "--seed", "1", "--out", _out);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--patients", run.Stderr, StringComparison.Ordinal);
    }
}
