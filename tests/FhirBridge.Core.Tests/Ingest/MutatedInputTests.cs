using FhirBridge.Ingest;

namespace FhirBridge.Tests.Ingest;

/// <summary>
/// Bad input is never fatal and never dropped: valid lines from the committed sample, cut and corrupted at
/// seeded-random places, each come back either accepted or quarantined with a reason.
/// </summary>
public class MutatedInputTests
{
    [Fact]
    public void ReadJson_SeededMutationsOfRealLines_NeverThrowAndAlwaysAccountForTheLine()
    {
        var lines = Directory.GetFiles(Path.Combine(RepositoryPaths.Samples, "synthetic-hospital"), "*.ndjson")
            .Order(StringComparer.Ordinal)
            .SelectMany(f => File.ReadLines(f).Take(40))
            .ToList();
        var random = new Random(20241231);
        var reader = new FhirInputReader();
        const string noise = "{}[]\":,0a\\ \u00e9";

        for (var i = 0; i < 3000; i++)
        {
            var line = lines[random.Next(lines.Count)];
            var at = random.Next(line.Length);
            var mutated = random.Next(4) switch
            {
                0 => line[..at],
                1 => line.Remove(at, 1),
                2 => line.Insert(at, noise[random.Next(noise.Length)].ToString()),
                _ => line[..at] + line[Math.Min(line.Length, at + random.Next(1, 30))..],
            };

            var results = reader.ReadJson(mutated, "m.ndjson:1").ToList();

            Assert.NotEmpty(results);
            Assert.All(results, r => Assert.True(r.IsQuarantined ? !string.IsNullOrWhiteSpace(r.QuarantineReason) : r.ResourceType is not null, mutated));
        }
    }
}
