namespace FhirBridge.Cli.Commands;

/// <summary>A problem that stops a command before or while it runs: printed as one line naming the problem, exit code 2.</summary>
internal sealed class CliError(string message) : Exception(message)
{
    public const int ExitCode = 2;

    /// <summary>Runs a command body, turning a <see cref="CliError"/> (and the domain's own refusals) into the one-line error.</summary>
    public static int Guard(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is CliError or Mapping.InvalidMappingException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            Console.Error.WriteLine($"fhirbridge: error: {e.Message}");
            return ExitCode;
        }
    }

    /// <summary>The same for an asynchronous command body.</summary>
    public static async Task<int> GuardAsync(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (Exception e) when (e is CliError or Mapping.InvalidMappingException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            await Console.Error.WriteLineAsync($"fhirbridge: error: {e.Message}");
            return ExitCode;
        }
    }
}
