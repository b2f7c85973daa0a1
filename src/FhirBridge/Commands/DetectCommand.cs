using System.CommandLine;
using System.Globalization;
using FhirBridge.Cli.Configuration;
using FhirBridge.Detection;
using Microsoft.Extensions.Configuration;
using FhirBridge.Mapping;
using FhirBridge.MappingLog;
using FhirBridge.Pipeline;
using FhirBridge.Reconcile;
using FhirBridge.Registry;
using FhirBridge.Reporting;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirBridge.Cli.Commands;

/// <summary><c>fhirbridge detect</c>: applies the study rule to FHIR files and writes the report, the mapping log and the registry bundle.</summary>
internal static class DetectCommand
{
    /// <summary>The environment variable that holds the pseudonymization key (the service reads it as FhirBridge:Pseudonymization:Key).</summary>
    public const string PseudonymKeyVariable = "FhirBridge__Pseudonymization__Key";

    public static Command Create(TimeProvider clock)
    {
        var input = new Option<string[]>("--input") { Description = "A FHIR R4 JSON file, Bundle, NDJSON file or directory of them (repeatable).", Required = true, Arity = ArgumentArity.OneOrMore };
        var mappings = new Option<string[]>("--mappings") { Description = "A directory of ConceptMaps added on top of the shipped mappings (repeatable).", Arity = ArgumentArity.ZeroOrMore };
        var asOf = new Option<string?>("--as-of") { Description = "Judge as of this ISO 8601 date-time (default: now)." };
        var timeZone = new Option<string?>("--time-zone") { Description = "The source's IANA time zone (default: the offset written in each index timestamp)." };
        var report = new Option<string?>("--report") { Description = "Write the JSON report here." };
        var registryBundle = new Option<string?>("--registry-bundle") { Description = $"Write the registry transaction Bundle here (needs {PseudonymKeyVariable} or --pseudonym-key-file)." };
        var logFile = new Option<string?>("--log") { Description = "Write the mapping log (NDJSON) here." };
        var source = new Option<string>("--source") { Description = "The source's name (part of every pseudonym).", DefaultValueFactory = _ => "local" };
        var keyFile = new Option<string?>("--pseudonym-key-file") { Description = "A file holding the pseudonymization key." };
        var studyId = new Option<string>("--study") { Description = "The study id.", DefaultValueFactory = _ => new StudyDefinition().Id };
        var windowDays = new Option<int>("--window-days") { Description = "Follow-up window in calendar days (day 0 to this day inside).", DefaultValueFactory = _ => new StudyDefinition().WindowDays };
        var minAge = new Option<int>("--min-age") { Description = "Youngest eligible age in completed years.", DefaultValueFactory = _ => new StudyDefinition().MinAge };
        var maxAge = new Option<int>("--max-age") { Description = "Oldest eligible age in completed years.", DefaultValueFactory = _ => new StudyDefinition().MaxAge };
        var sameAdmission = new Option<bool>("--same-admission-only") { Description = "Count only returns in the index operation's Encounter." };
        var sessionHours = new Option<double>("--session-hours") { Description = "Procedures of one Encounter within this many hours of an operation's first are one operation.", DefaultValueFactory = _ => new StudyDefinition().OperationSessionHours };
        var periodStart = new Option<string?>("--study-period-start") { Description = "First index date (yyyy-MM-dd), inclusive." };
        var periodEnd = new Option<string?>("--study-period-end") { Description = "Last index date (yyyy-MM-dd), inclusive." };
        var icd9Alias = new Option<string[]>("--icd9-alias") { Description = "A system URI the hospital sends ICD-9-CM codes under (repeatable).", Arity = ArgumentArity.ZeroOrMore };
        var icd10Alias = new Option<string[]>("--icd10-alias") { Description = "A system URI the hospital sends ICD-10 codes under (repeatable).", Arity = ArgumentArity.ZeroOrMore };
        var config = new Option<string?>("--config") { Description = $"A settings file (as for run; also {FhirBridgeConfiguration.ConfigVariable}) whose FhirBridge:Study, Mappings and Pseudonymization settings are the defaults; options given here win." };

        var command = new Command("detect", "Apply the study rule to FHIR files: who is a subject, who returned to theatre, and why.")
        {
            input, mappings, asOf, timeZone, report, registryBundle, logFile, source, keyFile, studyId, windowDays, minAge, maxAge,
            sameAdmission, sessionHours, periodStart, periodEnd, icd9Alias, icd10Alias, config,
        };

        command.SetAction(parse => CliError.Guard(() =>
        {
            // A settings file, when named, gives the defaults (the hospital's study settings, mappings and key);
            // an option given on the command line wins over it.
            var settings = SettingsFrom(parse.GetValue(config));
            T Pick<T>(Option<T> option, T fromSettings) => parse.GetResult(option) is { Implicit: false } ? parse.GetValue(option)! : fromSettings;
            var s = settings.Study;

            var zone = CliTime.Zone(parse.GetValue(timeZone));
            var study = new StudyDefinition
            {
                Id = Pick(studyId, s.Id),
                WindowDays = Pick(windowDays, s.WindowDays),
                MinAge = Pick(minAge, s.MinAge),
                MaxAge = Pick(maxAge, s.MaxAge),
                SameAdmissionOnly = Pick(sameAdmission, s.SameAdmissionOnly),
                OperationSessionHours = Pick(sessionHours, s.OperationSessionHours),
                StudyPeriodStart = CliTime.Date(Pick(periodStart, s.StudyPeriodStart), "--study-period-start"),
                StudyPeriodEnd = CliTime.Date(Pick(periodEnd, s.StudyPeriodEnd), "--study-period-end"),
            };
            if (study.Validate() is { } problem)
            {
                throw new CliError(problem);
            }

            var aliases = settings.Mappings.SystemAliases;
            var options = new Options(
                parse.GetValue(input)!,
                [Path.Combine(AppContext.BaseDirectory, "mappings"), .. settings.Mappings.Directories, .. parse.GetValue(mappings) ?? []],
                CliTime.AsOf(parse.GetValue(asOf), zone, clock),
                zone,
                study,
                new CodeSystems(
                    [.. aliases.Where(a => a.Value == "icd-9-cm").Select(a => a.Key), .. parse.GetValue(icd9Alias) ?? []],
                    [.. aliases.Where(a => a.Value == "icd-10").Select(a => a.Key), .. parse.GetValue(icd10Alias) ?? []]),
                parse.GetValue(source)!,
                parse.GetValue(report),
                parse.GetValue(logFile),
                parse.GetValue(registryBundle),
                parse.GetValue(registryBundle) is null ? null : PseudonymKey(parse.GetValue(keyFile), settings.Pseudonymization));
            return Run(options, Console.Out);
        }));
        return command;
    }

    internal sealed record Options(
        IReadOnlyList<string> Inputs,
        IReadOnlyList<string> MappingDirectories,
        NodaTime.OffsetDateTime AsOf,
        NodaTime.DateTimeZone? Zone,
        StudyDefinition Study,
        CodeSystems Systems,
        string Source,
        string? ReportFile,
        string? LogFile,
        string? RegistryBundleFile,
        string? PseudonymKey);

    internal static int Run(Options options, TextWriter output)
    {
        var maps = MappingLoader.Load(options.MappingDirectories, options.Systems);
        var rule = new UnplannedReturnRule(options.Study);
        var report = new DetectionReport(options.Study.Id, options.AsOf);
        var registry = options.PseudonymKey is null ? null : new RegistryRecordBuilder(options.Source, options.Study, new Pseudonymizer(options.PseudonymKey));
        var registryChanges = registry is null ? null : new List<ChangeSet>();
        var unmapped = new HashSet<string>(StringComparer.Ordinal);

        using var logStream = options.LogFile is null ? null : new StreamWriter(options.LogFile);
        using var log = logStream is null ? null : new MappingLogWriter(logStream, options.AsOf);
        void Log(MappingLogEntry entry)
        {
            log?.Write(entry);
            if (entry.Decision == Decision.Unmapped)
            {
                unmapped.UnionWith(entry.Codes);
            }
        }

        var summary = new FileDetection(maps, rule).Run(
            options.Inputs,
            options.AsOf,
            options.Zone,
            (timeline, detection, entries) =>
            {
                report.Add(detection);
                // The same change sets the service would push to an empty registry, Provenance recorded at --as-of
                // so that the file is reproducible.
                if (registry is not null)
                {
                    var records = registry.Build(timeline, detection.Subjects);
                    registryChanges!.AddRange(Reconciler.Reconcile(options.Source, registry.Study(), records, [], options.AsOf.ToDateTimeOffset()).Changes);
                }
                foreach (var entry in entries)
                {
                    Log(entry);
                }
            },
            Log);

        foreach (var q in summary.Quarantined)
        {
            report.Add(q);
        }

        if (options.ReportFile is { } reportFile)
        {
            using var stream = File.Create(reportFile);
            report.WriteTo(stream);
        }

        if (registryChanges is not null)
        {
            File.WriteAllText(options.RegistryBundleFile!, new FhirJsonSerializer().SerializeToString(Merge(registryChanges), true));
        }

        var ci = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(ci, $"study {report.Study}, as of {report.AsOf.ToString("uuuu-MM-dd'T'HH:mm:sso<+HH:mm>", ci)}"));
        output.WriteLine(string.Create(ci, $"read       {summary.AcceptedByType.Values.Sum()} resources ({string.Join(", ", summary.AcceptedByType.Select(kv => $"{kv.Key} {kv.Value}"))}); quarantined {summary.Quarantined.Count}"));
        ReportSummary.Write(output, report);
        output.WriteLine(string.Create(ci, $"unmapped   {unmapped.Count} distinct source codes no mapping covers (see --log)"));
        return 0;
    }

    // The settings a file names (--config or FHIRBRIDGE_CONFIG), with paths resolved against it; defaults without one.
    private static FhirBridgeOptions SettingsFrom(string? configOption)
    {
        var options = new FhirBridgeOptions();
        if (string.IsNullOrEmpty(configOption) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(FhirBridgeConfiguration.ConfigVariable)))
        {
            return options;
        }

        var file = FhirBridgeConfiguration.BaseFile(configOption);
        FhirBridgeConfiguration.Build(file, []).GetSection(FhirBridgeOptions.Section).Bind(options);
        FhirBridgeOptionsPaths.Resolve(options, Path.GetDirectoryName(file)!);
        return options;
    }

    private static string PseudonymKey(string? keyFile, PseudonymizationOptions fromSettings)
    {
        var key = keyFile is not null
            ? (File.Exists(keyFile) ? File.ReadAllText(keyFile).Trim() : throw new CliError($"--pseudonym-key-file: file not found: {keyFile}"))
            : Environment.GetEnvironmentVariable(PseudonymKeyVariable) is { Length: > 0 } fromEnvironment
                ? fromEnvironment
                : FhirBridgeOptionsValidator.Secret(fromSettings.Key, fromSettings.KeyFile);
        if (string.IsNullOrWhiteSpace(key) || key.Length < 16)
        {
            throw new CliError($"--registry-bundle needs a pseudonymization key of at least 16 characters: set {PseudonymKeyVariable} or pass --pseudonym-key-file");
        }

        return key;
    }

    // One transaction with every change set's entries, each record once: loading it into an empty registry gives
    // what the PUSH stage would build there change set by change set.
    private static Bundle Merge(IEnumerable<ChangeSet> changes)
    {
        var merged = new Bundle { Type = Bundle.BundleType.Transaction };
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in changes.SelectMany(c => c.Transaction.Entry))
        {
            if (seen.Add(entry.Request!.Url!))
            {
                merged.Entry.Add(entry);
            }
        }

        return merged;
    }
}
