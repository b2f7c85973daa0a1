using BenchmarkDotNet.Running;
using FhirBridge.Benchmarks;

// Two uses:
//   dotnet run -c Release --project tests/FhirBridge.Benchmarks -- --filter '*'   BenchmarkDotNet micro-benchmarks
//   dotnet tests/FhirBridge.Benchmarks/bin/Release/net10.0/FhirBridge.Benchmarks.dll parse-reference DIR
//       the reference passes of tests/bench/e2e.sh over every NDJSON line of DIR, one JSON line out
if (args.Length == 2 && args[0] == "parse-reference")
{
    Console.WriteLine(ParseReference.Run(args[1]));
    return 0;
}

BenchmarkSwitcher.FromAssembly(typeof(PerPatientBenchmarks).Assembly).Run(args);
return 0;
