using System.CommandLine;
using FhirBridge.Cli.Web.Admin;

namespace FhirBridge.Cli.Commands;

/// <summary><c>fhirbridge admin hash-password</c>: the value for <c>FhirBridge:Admin:PasswordHash</c>, from a password read on standard input.</summary>
internal static class AdminCommand
{
    public static Command Create()
    {
        var hash = new Command("hash-password", "Read the admin password from standard input (one line) and print its PBKDF2-SHA256 hash for FhirBridge:Admin:PasswordHash.");
        hash.SetAction((parse, cancellationToken) => CliError.GuardAsync(async () =>
        {
            // Read from stdin, never from an argument, so the password stays out of shell history and process lists.
            var password = (await Console.In.ReadLineAsync(cancellationToken))?.TrimEnd('\r');
            if (string.IsNullOrEmpty(password))
            {
                throw new CliError("admin hash-password: give the password on standard input (e.g. `read -rs p; printf '%s\\n' \"$p\" | fhirbridge admin hash-password`)");
            }

            if (password.Length < 12)
            {
                throw new CliError("admin hash-password: the password must be at least 12 characters");
            }

            await Console.Out.WriteLineAsync(AdminPassword.Hash(password));
            return 0;
        }));
        return new Command("admin", "Admin surface helpers.") { hash };
    }
}
