using FhirBridge.Conformance;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirBridge.Cli.Push;

/// <summary>
/// Checks every resource of a change set against its profile in <c>profiles/</c> and the SDK's own validation before
/// it is sent (docs/registry.md, "Validation"). Messages name resource types, entries, element paths and rules, never
/// values, so they can be logged and kept with the dead letter.
/// </summary>
public sealed class ChangeSetValidation(ProfileValidator validator)
{
    private static readonly FhirJsonDeserializer Deserializer = new();

    /// <summary>Null when every resource conforms; else one message listing every violation.</summary>
    /// <param name="bundleJson">The change set's transaction Bundle.</param>
    public string? Check(string bundleJson)
    {
        Bundle bundle;
        try
        {
            bundle = Deserializer.Deserialize<Bundle>(bundleJson);
        }
        catch (Exception e) when (e is DeserializationFailedException or FormatException or System.Text.Json.JsonException)
        {
            return "the change set is not a FHIR transaction Bundle FhirBridge can read; it was not sent";
        }

        var lines = new List<string>();
        for (var i = 0; i < bundle.Entry.Count; i++)
        {
            if (bundle.Entry[i].Resource is not { } resource)
            {
                continue; // a conditional delete has no resource
            }

            foreach (var v in validator.Validate(resource))
            {
                lines.Add($"entry {i} {v.ResourceType}: {v.Path} [{v.Rule}] {v.Message}");
            }
        }

        return lines.Count == 0
            ? null
            : $"{lines.Count} profile violation(s); not sent: " + string.Join("; ", lines);
    }
}
