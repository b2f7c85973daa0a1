using System.CommandLine;

namespace FhirBridge.Cli.Commands;

/// <summary><c>fhirbridge synth</c>: writes a synthetic hospital as Bulk-style NDJSON.</summary>
internal static class SynthCommand
{
    public static Command Create()
    {
        var command = new Command("synth", "Write a synthetic hospital as Bulk-Data-style NDJSON (same seed, same bytes).");
        command.SetAction(_ => CliError.Guard(() => throw new CliError("synth: not available yet")));
        return command;
    }
}
