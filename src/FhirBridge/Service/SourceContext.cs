using FhirBridge.Fhir.Pull;
using NodaTime;

namespace FhirBridge.Cli.Service;

/// <summary>One configured source as the pipeline uses it: its reader, its zone, its schedule.</summary>
public sealed record SourceContext(string Name, IPullSource Pull, DateTimeZone? Zone, string Schedule);
