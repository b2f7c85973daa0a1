using BenchmarkDotNet.Running;
using FhirBridge.Benchmarks;

// Uses:
//   dotnet run -c Release --project tests/FhirBridge.Benchmarks -- --filter '*'   BenchmarkDotNet micro-benchmarks
//   dotnet tests/FhirBridge.Benchmarks/bin/Release/net10.0/FhirBridge.Benchmarks.dll parse-reference DIR
//       the reference passes of tests/bench/e2e.sh over every NDJSON line of DIR, one JSON line out
//   dotnet tests/FhirBridge.Benchmarks/bin/Release/net10.0/FhirBridge.Benchmarks.dll output-reference REGISTRY DIR PROFILES
//       the Firely SDK serializing and parsing the change sets a backfill of DIR wrote to REGISTRY, and the profile
//       check of them against PROFILES, one JSON line out
//   dotnet tests/FhirBridge.Benchmarks/bin/Release/net10.0/FhirBridge.Benchmarks.dll profile-check BUNDLE [ROUNDS]
//       the push's profile check per change set (ProfileCheckBenchmarks) with a stopwatch, one JSON line out
if (args.Length == 2 && args[0] == "parse-reference")
{
    Console.WriteLine(ParseReference.Run(args[1]));
    return 0;
}

if (args.Length == 4 && args[0] == "output-reference")
{
    Console.WriteLine(OutputReference.Run(args[1], args[2], args[3]));
    return 0;
}

if (args.Length >= 2 && args[0] == "profile-check")
{
    Console.WriteLine(ProfileCheckBenchmarks.Stopwatch(args[1], args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 5));
    return 0;
}

BenchmarkSwitcher.FromAssembly(typeof(PerPatientBenchmarks).Assembly).Run(args);
return 0;
