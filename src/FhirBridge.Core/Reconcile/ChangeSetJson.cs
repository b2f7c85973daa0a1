using System.Globalization;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirBridge.Reconcile;

/// <summary>
/// A change set's Bundle as FHIR JSON from the JSON of its resources, already serialized for the projection's hashes:
/// Firely serializes the Bundle with a tiny placeholder in place of each resource (its own elements, URLs and requests
/// are Firely's text as before), and each placeholder is replaced by the resource's own JSON. The text is identical to
/// serializing the whole Bundle (a resource inside a Bundle serializes exactly as it does alone: ChangeSetJsonTests),
/// at a fraction of the cost.
/// </summary>
internal static class ChangeSetJson
{
    private static readonly FhirJsonSerializer Serializer = new();
    private const string Marker = "fb-splice-";

    /// <summary>The Bundle's JSON; <paramref name="text"/> gives the JSON of each resource in it.</summary>
    public static string Compose(Bundle bundle, Func<Resource, string> text) =>
        TryCompose(bundle, text) ?? Serializer.SerializeToString(bundle);

    /// <summary>The composed JSON, or null when a placeholder is not found where expected (the caller serializes instead).</summary>
    internal static string? TryCompose(Bundle bundle, Func<Resource, string> text)
    {
        var swapped = new List<(Bundle.EntryComponent Entry, Resource Resource)>(bundle.Entry.Count);
        string skeleton;
        try
        {
            foreach (var entry in bundle.Entry)
            {
                if (entry.Resource is { } resource)
                {
                    entry.Resource = new Parameters { Id = Marker + swapped.Count.ToString(CultureInfo.InvariantCulture) };
                    swapped.Add((entry, resource));
                }
            }

            skeleton = Serializer.SerializeToString(bundle);
        }
        finally
        {
            foreach (var (entry, resource) in swapped)
            {
                entry.Resource = resource;
            }
        }

        var resources = swapped.ConvertAll(s => text(s.Resource));
        var json = new StringBuilder(skeleton.Length + resources.Sum(r => r.Length));
        var at = 0;
        for (var i = 0; i < resources.Count; i++)
        {
            var placeholder = "{\"resourceType\":\"Parameters\",\"id\":\"" + Marker + i.ToString(CultureInfo.InvariantCulture) + "\"}";
            var found = skeleton.IndexOf(placeholder, at, StringComparison.Ordinal);
            if (found < 0)
            {
                return null;
            }

            json.Append(skeleton, at, found - at).Append(resources[i]);
            at = found + placeholder.Length;
        }

        return json.Append(skeleton, at, skeleton.Length - at).ToString();
    }
}
