using System.Globalization;
using System.Text.Json;
using FhirBridge.Ingest;

namespace FhirBridge.Tests.Ingest;

/// <summary>
/// The one assertion every fast-path test makes: when <see cref="StrictResourceReader"/> accepts a line, the Firely
/// path accepts it too, with an equal <see cref="IngestResult"/> field for field; and the public
/// <see cref="FhirInputReader.ReadJson"/> always gives what the Firely path alone gives.
/// </summary>
public static class StrictIngestEquivalence
{
    private static readonly JsonSerializerOptions Dump = new() { WriteIndented = false };

    /// <summary>Checks one line; true when the fast path took it.</summary>
    public static bool AssertEquivalent(string json, string origin = "x.ndjson:1")
    {
        var firely = Firely(json, origin);
        var fastTook = StrictResourceReader.TryRead(json, origin, out var fast);
        if (fastTook)
        {
            Assert.True(firely is [{ IsQuarantined: false }], $"the fast path accepted what the Firely path quarantines ({Reasons(firely)}): {json}");
            Assert.Equal(Describe(firely![0]), Describe(fast!));
        }

        // What callers see: the same as the Firely path, whichever path ran.
        List<IngestResult>? read;
        try
        {
            read = [.. new FhirInputReader().ReadJson(json, origin)];
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            read = null;
        }

        Assert.Equal(firely?.Select(Describe), read?.Select(Describe));
        return fastTook;
    }

    /// <summary>Everything a result says, as one string (records by their JSON, times with their offsets).</summary>
    public static string Describe(IngestResult result) => string.Join(
        " | ",
        result.Origin,
        result.ResourceType ?? "-",
        result.QuarantineReason ?? "-",
        result.Id ?? "-",
        result.VersionId ?? "-",
        result.LastUpdated?.ToString("o", CultureInfo.InvariantCulture) ?? "-",
        result.Patient ?? "-",
        result.Json ?? "-",
        result.Record is null ? "no record" : result.Record.GetType().Name + JsonSerializer.Serialize(result.Record, result.Record.GetType(), Dump));

    private static List<IngestResult>? Firely(string json, string origin)
    {
        try
        {
            return [.. new FhirInputReader().ReadJsonWithFirely(json, origin)];
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return null; // the reader itself never throws on bad input; if the SDK did, ReadJson must throw alike
        }
    }

    private static string Reasons(List<IngestResult>? results) =>
        results is null ? "it threw" : string.Join("; ", results.Select(r => r.QuarantineReason ?? "accepted " + r.ResourceType));
}
