using System.CommandLine;
using FhirBridge.Cli.Commands;

var root = new RootCommand("FhirBridge: feeds the NCT05995327 spine-surgery registry from hospital FHIR R4 data.");
root.Subcommands.Add(DetectCommand.Create(TimeProvider.System));
root.Subcommands.Add(SynthCommand.Create());
root.Subcommands.Add(RunCommand.Create());
root.Subcommands.Add(OutboxCommand.Create());
root.Subcommands.Add(SubscriptionsCommand.Create());
root.Subcommands.Add(StatusCommand.Create());
root.Subcommands.Add(LogCommand.Create());
root.Subcommands.Add(UnmappedCommand.Create());
root.Subcommands.Add(ReportCommand.Create());
root.Subcommands.Add(AdminCommand.Create());
return await root.Parse(args).InvokeAsync();
