using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirBridge.Benchmarks;

/// <summary>
/// The two references the end-to-end benchmark is compared with, measured on the same files in the same run:
/// the Firely SDK's <see cref="FhirJsonDeserializer"/> alone over every line (what "just parsing" into POCOs costs)
/// and a bare <see cref="JsonDocument"/> pass (the ceiling for any parser). Lines are read from disk in both, as the
/// pipeline reads them.
/// </summary>
public static class ParseReference
{
    /// <summary>Runs both passes over every <c>*.ndjson</c> line of <paramref name="directory"/>; returns one JSON object.</summary>
    public static string Run(string directory)
    {
        var files = Directory.GetFiles(directory, "*.ndjson").Order(StringComparer.Ordinal).ToList();

        // Warm both paths up on a few lines first, so neither pays the JIT inside its measurement.
        var deserializer = new FhirJsonDeserializer(new DeserializerSettings().UsingMode(DeserializationMode.Recoverable));
        foreach (var line in files.SelectMany(f => File.ReadLines(f).Take(200)))
        {
            _ = deserializer.Deserialize<Resource>(line);
            using var warm = JsonDocument.Parse(line);
        }

        var (firelyLines, firely) = Time(files, line => _ = deserializer.Deserialize<Resource>(line));
        var (ceilingLines, ceiling) = Time(files, line =>
        {
            using var document = JsonDocument.Parse(line);
            _ = document.RootElement.GetProperty("resourceType");
        });

        return string.Create(CultureInfo.InvariantCulture, $$"""{"resources":{{firelyLines}},"firelyParseSeconds":{{firely.TotalSeconds:F3}},"firelyParseResourcesPerSecond":{{firelyLines / firely.TotalSeconds:F0}},"ceilingSeconds":{{ceiling.TotalSeconds:F3}},"ceilingResourcesPerSecond":{{ceilingLines / ceiling.TotalSeconds:F0}}}""");
    }

    private static (long Lines, TimeSpan Elapsed) Time(List<string> files, Action<string> parse)
    {
        long lines = 0;
        var clock = Stopwatch.StartNew();
        foreach (var file in files)
        {
            foreach (var line in File.ReadLines(file))
            {
                if (line.Length > 0)
                {
                    parse(line);
                    lines++;
                }
            }
        }

        return (lines, clock.Elapsed);
    }
}
