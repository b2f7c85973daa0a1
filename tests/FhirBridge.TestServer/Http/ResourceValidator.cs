using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirBridge.TestServer.Http;

/// <summary>
/// Parses a resource with the Firely SDK in strict mode and refuses (400) what it rejects. Strict parsing costs tens of
/// microseconds a resource, so what passed once is remembered by content hash for the whole process: test suites seed
/// the same sample data into many servers.
/// </summary>
internal static class ResourceValidator
{
    private const int Capacity = 200_000;
    private static readonly FhirJsonDeserializer StrictDeserializer = new(new DeserializerSettings());
    private static readonly ConcurrentDictionary<string, byte> Passed = new(StringComparer.Ordinal);

    public static void Validate(ReadOnlySpan<byte> utf8Json)
    {
        var key = Convert.ToBase64String(SHA256.HashData(utf8Json));
        if (Passed.ContainsKey(key))
        {
            return;
        }

        var reader = new Utf8JsonReader(utf8Json);
        try
        {
            StrictDeserializer.DeserializeResource(ref reader);
        }
        catch (DeserializationFailedException e)
        {
            var issues = string.Join("; ", e.Exceptions.Take(5).Select(x => x.Message));
            throw new FhirException(400, OperationOutcome.IssueType.Structure, $"The resource does not parse as FHIR R4: {issues}");
        }

        if (Passed.Count >= Capacity)
        {
            Passed.Clear();
        }

        Passed.TryAdd(key, 0);
    }
}
