using FhirBridge.Cli.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FhirBridge.Cli.Web.Admin;

/// <summary>Says once at start, when nobody can sign in, how to enable the admin surface.</summary>
internal sealed class AdminStartupNotice(IOptions<FhirBridgeOptions> options, ILogger<AdminStartupNotice> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.Admin.Enabled)
        {
            logger.LogWarning(
                "The admin surface is disabled: every /admin route answers 401. Enable it with {PasswordSetting} (from `fhirbridge admin hash-password`) or {KeySetting}",
                "FhirBridge:Admin:PasswordHash",
                "FhirBridge:Admin:ApiKeys");
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
