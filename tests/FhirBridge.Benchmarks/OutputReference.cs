using System.Diagnostics;
using System.Globalization;
using FhirBridge.Conformance;
using FhirBridge.Reconcile;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirBridge.Benchmarks;

/// <summary>
/// What the registry output alone costs the SDK, measured on the change sets a backfill wrote to a Directory registry:
/// how large it is against the input, and how long the Firely SDK takes to serialize it and to parse it, one core, as
/// <see cref="ParseReference"/> times the input. The end-to-end target compares the whole pipeline with parsing the
/// input; this says how much of that budget writing the output with the SDK takes on its own (docs/benchmarks.md).
/// It also times the profile check every change set gets before it may leave the hospital
/// (<see cref="TransactionValidation.ConformsAsBuilt"/>, as the recompute runs it on the objects it built), on the
/// parsed change sets: another cost no pipeline that writes this registry can skip.
/// </summary>
public static class OutputReference
{
    /// <summary>Times every <c>*.json</c> change set of <paramref name="registry"/>; <paramref name="input"/> gives the input's size.</summary>
    /// <param name="registry">The Directory registry a backfill wrote.</param>
    /// <param name="input">The NDJSON folder it read.</param>
    /// <param name="profiles">The registry profiles (the repository's <c>profiles/</c>).</param>
    public static string Run(string registry, string input, string profiles)
    {
        var check = new TransactionValidation(new ProfileValidator(ProfileSet.Load(profiles)));
        var inputBytes = Directory.GetFiles(input, "*.ndjson").Sum(f => new FileInfo(f).Length);
        var files = Directory.GetFiles(registry, "*.json").Order(StringComparer.Ordinal).ToList();
        var deserializer = new FhirJsonDeserializer(new DeserializerSettings().UsingMode(DeserializationMode.Recoverable));
        var serializer = new FhirJsonSerializer();

        // Warm both paths up first, so neither pays the JIT inside its measurement.
        foreach (var file in files.Take(200))
        {
            var warm = File.ReadAllText(file);
            _ = serializer.SerializeToString(deserializer.Deserialize<Bundle>(warm));
            _ = check.ConformsAsBuilt([new ChangeSet("", "", deserializer.Deserialize<Bundle>(warm)) { Json = warm }]);
        }

        // One change set at a time (the output of 70,000 patients does not fit in memory as objects); only the
        // SDK's own work is inside the stopwatches, not reading the files.
        long outputBytes = 0, resources = 0;
        var parse = new Stopwatch();
        var serialize = new Stopwatch();
        var profileCheck = new Stopwatch();
        foreach (var file in files)
        {
            var json = File.ReadAllText(file);
            outputBytes += new FileInfo(file).Length;
            parse.Start();
            var bundle = deserializer.Deserialize<Bundle>(json);
            parse.Stop();
            resources += bundle.Entry.Count;
            serialize.Start();
            _ = serializer.SerializeToString(bundle);
            serialize.Stop();

            // One change set at a time: the recompute checks a patient's change sets together and checks the study and
            // Patient records they share once, but a patient has one change set in 99% of this output.
            var changeSet = new ChangeSet("", "", bundle) { Json = json };
            profileCheck.Start();
            var conforms = check.ConformsAsBuilt([changeSet])[0];
            profileCheck.Stop();
            if (!conforms)
            {
                throw new InvalidOperationException($"{Path.GetFileName(file)} is not found conforming on the objects; the figure would time the check's slow path");
            }
        }

        return string.Create(
            CultureInfo.InvariantCulture,
            $$"""{"changeSets":{{files.Count}},"outputResources":{{resources}},"inputBytes":{{inputBytes}},"outputBytes":{{outputBytes}},"firelySerializeOutputSeconds":{{serialize.Elapsed.TotalSeconds:F3}},"firelyParseOutputSeconds":{{parse.Elapsed.TotalSeconds:F3}},"profileCheckOutputSeconds":{{profileCheck.Elapsed.TotalSeconds:F3}}}""");
    }
}
