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
        catch (Exception e) when (IsRefusal(e))
        {
            return Report(e);
        }
    }

    /// <summary>The same for an asynchronous command body.</summary>
    public static async Task<int> GuardAsync(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (Exception e) when (IsRefusal(e))
        {
            return Report(e);
        }
    }

    // What the user can act on: a bad argument, a bad mapping file, a path or permission. Anything else is a bug and
    // keeps its stack trace.
    private static bool IsRefusal(Exception e) =>
        e is CliError or Mapping.InvalidMappingException or IOException or UnauthorizedAccessException or ArgumentException;

    private static int Report(Exception e)
    {
        Console.Error.WriteLine($"fhirbridge: error: {e.Message}");
        return ExitCode;
    }
}
