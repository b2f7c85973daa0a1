using System.Text.Json.Nodes;

namespace FhirBridge.Tests.Cli;

/// <summary>Reads a <c>Directory</c> registry: the change-set files a run wrote, replayed in order.</summary>
internal static class DirectoryRegistry
{
    /// <summary>
    /// What the registry ends with: the last version of every record by its request URL, removed ones gone. Provenance
    /// is history (when and in which batches changes were made), not state: every change set must carry exactly one,
    /// and the state is everything else.
    /// </summary>
    public static SortedDictionary<string, string> State(string folder)
    {
        var state = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.Exists(folder) ? Directory.GetFiles(folder, "*.json").Order(StringComparer.Ordinal).ToArray() : [])
        {
            var entries = JsonNode.Parse(File.ReadAllText(file))!["entry"]!.AsArray();
            Assert.Single(entries, e => e!["request"]!["url"]!.GetValue<string>().StartsWith("Provenance/", StringComparison.Ordinal));
            foreach (var entry in entries)
            {
                var url = entry!["request"]!["url"]!.GetValue<string>();
                if (entry["request"]!["method"]!.GetValue<string>() == "DELETE")
                {
                    state.Remove(url);
                }
                else if (!url.StartsWith("Provenance/", StringComparison.Ordinal))
                {
                    state[url] = entry["resource"]!.ToJsonString();
                }
            }
        }

        return state;
    }
}
