using System.CommandLine;
using System.Globalization;
using FhirBridge.Cli.Synthetic;

namespace FhirBridge.Cli.Commands;

/// <summary><c>fhirbridge synth</c>: writes a synthetic hospital as Bulk-style NDJSON, for tests, demos and benchmarks.</summary>
internal static class SynthCommand
{
    public static Command Create()
    {
        var patients = new Option<int>("--patients") { Description = "How many patients.", Required = true };
        var seed = new Option<int>("--seed") { Description = "The seed: same seed, same bytes.", Required = true };
        var output = new Option<string>("--out") { Description = "The directory to write one NDJSON file per resource type into.", Required = true };
        var truth = new Option<string?>("--truth") { Description = "Also write what the generator intended (subjects, returns, exclusions) as JSON here." };

        var opaque = new Option<bool>("--opaque-ids")
        {
            Description = "Name every resource by an opaque hash of its numbered id (p000001...), as many hospital servers do; the truth names the same ids.",
        };

        var command = new Command("synth", "Write a synthetic hospital as Bulk-Data-style NDJSON (same seed, same bytes).") { patients, seed, output, truth, opaque };
        command.SetAction(parse => CliError.Guard(() =>
        {
            var count = parse.GetValue(patients);
            if (count is < 0 or > 999_999)
            {
                throw new CliError($"--patients must be between 0 and 999999 (was {count})");
            }

            var directory = parse.GetValue(output)!;
            Directory.CreateDirectory(directory);
            var result = SyntheticHospital.Generate(
                count, parse.GetValue(seed), directory, parse.GetValue(opaque) ? SyntheticIdStyle.Opaque : SyntheticIdStyle.Numbered);
            if (parse.GetValue(truth) is { } truthFile)
            {
                SyntheticHospital.WriteTruth(result, truthFile);
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"wrote {result.LineCounts.Values.Sum()} resources for {count} patients to {directory}: {string.Join(", ", result.LineCounts.Select(kv => $"{kv.Key} {kv.Value}"))}"));
            return 0;
        }));
        return command;
    }
}
