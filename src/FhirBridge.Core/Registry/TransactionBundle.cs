using Hl7.Fhir.Model;

namespace FhirBridge.Registry;

/// <summary>
/// A transaction Bundle of conditional upserts (<c>PUT Type?identifier=system|value</c>), one entry per record, each
/// at its deterministic <c>fullUrl</c>: sending it twice changes nothing.
/// </summary>
public static class TransactionBundle
{
    /// <summary>Builds the Bundle; a record appearing twice (a Patient shared by subjects) is sent once.</summary>
    public static Bundle Of(IEnumerable<RegistryRecord> records)
    {
        var bundle = new Bundle { Type = Bundle.BundleType.Transaction };
        var added = new HashSet<RegistryKey>();
        foreach (var record in records)
        {
            if (added.Add(record.Key))
            {
                bundle.Entry.Add(new Bundle.EntryComponent
                {
                    FullUrl = record.FullUrl,
                    Resource = record.Resource,
                    Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = record.Key.ConditionalUrl },
                });
            }
        }

        return bundle;
    }
}
