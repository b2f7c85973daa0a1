using System.Globalization;
using System.Text.Json;
using FhirBridge.Cli.Synthetic;
using FhirBridge.Ingest;

namespace FhirBridge.Tests.Synthetic;

/// <summary>
/// The fast path of ingest over a synthetic hospital generated here (another seed than the committed sample): every
/// line takes it, and each result equals, field for field, what the Firely path alone gives.
/// </summary>
public sealed class SyntheticIngestFastPathTests
{
    private static readonly JsonSerializerOptions Dump = new() { WriteIndented = false };

    [Fact]
    public void ReadJson_EveryLineOfAGeneratedHospital_TakesTheFastPathWithTheFirelyResult()
    {
        using var directory = new SyntheticHospitalTests.TempDirectory();
        SyntheticHospital.Generate(250, 20261123, directory.Path);
        var reader = new FhirInputReader();
        var declined = new List<string>();
        var lines = 0;

        foreach (var file in Directory.GetFiles(directory.Path, "*.ndjson").Order(StringComparer.Ordinal))
        {
            var number = 0;
            foreach (var line in File.ReadLines(file))
            {
                var origin = $"{Path.GetFileName(file)}:{++number}";
                lines++;
                var firely = Assert.Single(reader.ReadJsonWithFirely(line, origin));
                Assert.False(firely.IsQuarantined, firely.QuarantineReason);
                if (!StrictResourceReader.TryRead(line, origin, out var fast))
                {
                    declined.Add(origin);
                    continue;
                }

                Assert.Equal(Describe(firely), Describe(fast));
            }
        }

        Assert.True(lines > 2000, $"only {lines} lines");
        Assert.Empty(declined);
    }

    private static string Describe(IngestResult r) => string.Join(
        " | ",
        r.Origin,
        r.ResourceType,
        r.QuarantineReason ?? "-",
        r.Id,
        r.VersionId ?? "-",
        r.LastUpdated?.ToString("o", CultureInfo.InvariantCulture) ?? "-",
        r.Patient ?? "-",
        r.Json,
        r.Record is null ? "no record" : r.Record.GetType().Name + JsonSerializer.Serialize(r.Record, r.Record.GetType(), Dump));
}
