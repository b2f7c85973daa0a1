using System.Text.Json;
using FhirBridge.Cli.Synthetic;

namespace FhirBridge.Tests.Cli;

/// <summary>
/// The rule against an independent oracle: the synthetic generator writes each scenario on purpose (a counted
/// return, a ward debridement, a staged operation, another department, an unrelated condition, a refused index) and
/// records what it intended; <c>fhirbridge detect</c> must find exactly that.
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
    public void Synth_BadPatientCount_ExitsNonZeroNamingTheOption()
    {
        var run = Fhirbridge.Run("synth", "--patients", "-1", "--seed", "1", "--out", _out);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--patients", run.Stderr, StringComparison.Ordinal);
    }
}
