using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Segment = FhirBridge.Reconcile.ResourceJson.Segment;

namespace FhirBridge.Reconcile;

/// <summary>
/// A change set's Bundle as FHIR JSON from the JSON of its resources, already written for the projection's hashes:
/// Firely serializes the Bundle with a tiny placeholder in place of each resource (its own elements, URLs and requests
/// are Firely's text as before), and each placeholder is replaced by the resource's own JSON. The text is identical to
/// serializing the whole Bundle (a resource inside a Bundle serializes exactly as it does alone: ChangeSetJsonTests),
/// at a fraction of the cost. It is put together in UTF-8 and decoded once, into the one string it ends as.
/// </summary>
internal static class ChangeSetJson
{
    private static readonly FhirJsonSerializer Serializer = new();

    /// <summary>The Bundle's JSON; <paramref name="json"/> has (or writes) the JSON of each resource in it.</summary>
    public static string Compose(Bundle bundle, ResourceJson json) =>
        TryCompose(bundle, json) ?? Serializer.SerializeToString(bundle);

    /// <summary>The composed JSON, or null when a placeholder is not found where expected (the caller serializes instead).</summary>
    internal static string? TryCompose(Bundle bundle, ResourceJson json)
    {
        var resources = new List<Segment>(bundle.Entry.Count);
        var swapped = new List<(Bundle.EntryComponent Entry, Resource Resource)>(bundle.Entry.Count);
        Segment skeleton;
        try
        {
            foreach (var entry in bundle.Entry)
            {
                if (entry.Resource is { } resource)
                {
                    resources.Add(json.Of(resource));
                    entry.Resource = json.Placeholder(swapped.Count).Resource;
                    swapped.Add((entry, resource));
                }
            }

            skeleton = json.Write(bundle);
        }
        finally
        {
            foreach (var (entry, resource) in swapped)
            {
                entry.Resource = resource;
            }
        }

        // The skeleton's text up to each placeholder, then the resource, ..., then the rest of the skeleton.
        var parts = new Segment[(2 * resources.Count) + 1];
        var text = json[skeleton];
        var at = 0;
        for (var i = 0; i < resources.Count; i++)
        {
            var placeholder = json.Placeholder(i).Json;
            var found = text[at..].IndexOf(placeholder);
            if (found < 0)
            {
                return null;
            }

            parts[2 * i] = new Segment(skeleton.Start + at, found);
            parts[(2 * i) + 1] = resources[i];
            at += found + placeholder.Length;
        }

        parts[^1] = new Segment(skeleton.Start + at, skeleton.Length - at);
        return json.Concat(parts);
    }
}
