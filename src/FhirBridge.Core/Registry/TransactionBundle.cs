using Hl7.Fhir.Model;

namespace FhirBridge.Registry;

/// <summary>
/// A transaction Bundle of conditional upserts (<c>PUT Type?identifier=system|value</c>), one entry per record, each
/// at its deterministic <c>fullUrl</c>, plus conditional deletes (<c>DELETE Type?identifier=...</c>) and the change
/// set's Provenance at its deterministic id: sending it twice changes nothing.
/// </summary>
public static class TransactionBundle
{
    /// <summary>Builds the Bundle; a record appearing twice (a Patient shared by subjects) is sent once.</summary>
    /// <param name="records">The records to create or update.</param>
    /// <param name="deletes">The records to remove (AdverseEvents of retracted returns: R4 AdverseEvent has no status).</param>
    public static Bundle Of(IEnumerable<RegistryRecord> records, IEnumerable<RegistryKey>? deletes = null)
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
                    Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = record.Key.RequestUrl },
                });
            }
        }

        foreach (var key in deletes ?? [])
        {
            if (added.Add(key))
            {
                bundle.Entry.Add(new Bundle.EntryComponent { Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.DELETE, Url = key.RequestUrl } });
            }
        }

        return bundle;
    }
}
