using FhirBridge.Reconcile;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Validation;

namespace FhirBridge.Conformance;

/// <summary>One violation of one entry's resource in a transaction Bundle.</summary>
/// <param name="Entry">The entry's index in the Bundle.</param>
/// <param name="Violation">What the validator reported for that entry's resource.</param>
public sealed record EntryViolation(int Entry, ProfileViolation Violation);

/// <summary>
/// Checks a transaction Bundle's JSON with a <see cref="ProfileValidator"/>: the SDK's strict reader must accept it
/// (its deserialization validation included), then every entry's resource is validated. The result is by definition
/// that of <see cref="ValidateStrictly"/>; <see cref="Validate"/> gets it cheaper for a Bundle that conforms.
/// </summary>
/// <remarks>
/// The strict reader runs the SDK's attribute validation on every value as it reads (cardinality, primitive
/// literals), and <see cref="ProfileValidator.Validate(Resource)"/> runs the same validation again on every resource: together
/// about half the cost of the check. <see cref="Validate"/> reads without the reader's validation and keeps the
/// second one, extended to the Bundle's own elements; only when nothing at all is found is that the answer. Anything
/// found, a Bundle the reader refuses, or narrative XHTML (which the reader validates and the SDK validation here does
/// not) sends the Bundle through <see cref="ValidateStrictly"/>, so a failing Bundle gets exactly the strict result.
/// Test: ValidatorReferenceTests and TransactionValidationTests compare both on real and mutated change sets.
/// </remarks>
public sealed class TransactionValidation(ProfileValidator validator)
{
    private static readonly FhirJsonDeserializer Strict = new();
    private static readonly FhirJsonDeserializer Unvalidated = new(new DeserializerSettings { Validator = null });

    /// <summary>The fingerprint of this check (<see cref="ProfileValidator.Fingerprint"/>).</summary>
    public string Fingerprint => validator.Fingerprint;

    /// <summary>
    /// Whether each change set conforms, checked on the objects it was made from, before its JSON is ever read: true
    /// only when <see cref="Validate"/> would take its cheap path for the change set's JSON and find nothing (so the
    /// strict check finds nothing either); false means "not known", and the JSON is then checked as before.
    /// </summary>
    /// <param name="changeSets">One patient's change sets, as the reconcile stage made them; none is changed (entries are detached for a moment and put back).</param>
    /// <remarks>
    /// The Bundle's own elements get the SDK validation with its entries' resources detached, and every resource gets
    /// <see cref="ProfileValidator.Validate(Resource)"/>, exactly as on the cheap path; the JSON the Bundle serializes to
    /// is that path's input, read back into the same objects. A resource found conforming in one change set (the
    /// ResearchStudy and Patient records are in every change set of a patient) is remembered by reference for the
    /// others of this call only: the objects are the caller's, not to be changed meanwhile, and none is remembered
    /// beyond the call. Narrative XHTML is left to the strict reader, as on the cheap path.
    /// Test: BuiltTransactionCheckTests compare this with the strict check of the JSON.
    /// </remarks>
    public IReadOnlyList<bool> ConformsAsBuilt(IReadOnlyList<ChangeSet> changeSets)
    {
        ArgumentNullException.ThrowIfNull(changeSets);
        var conforming = new HashSet<Resource>(ReferenceEqualityComparer.Instance);
        var verdicts = new bool[changeSets.Count];
        for (var i = 0; i < verdicts.Length; i++)
        {
            verdicts[i] = ConformsAsBuilt(changeSets[i], conforming);
        }

        return verdicts;
    }

    /// <summary>Every violation of every entry, in entry order (empty when all conform); null when the JSON is not a Bundle the strict reader accepts.</summary>
    public IReadOnlyList<EntryViolation>? Validate(string bundleJson)
    {
        ArgumentNullException.ThrowIfNull(bundleJson);
        return ConformsCheaply(bundleJson) ? [] : ValidateStrictly(bundleJson);
    }

    /// <summary>The reference: strict read, then <see cref="ProfileValidator.Validate(Resource)"/> on every entry's resource.</summary>
    public IReadOnlyList<EntryViolation>? ValidateStrictly(string bundleJson)
    {
        Bundle bundle;
        try
        {
            bundle = Strict.Deserialize<Bundle>(bundleJson);
        }
        catch (Exception e) when (e is DeserializationFailedException or FormatException or System.Text.Json.JsonException)
        {
            return null;
        }

        var violations = new List<EntryViolation>();
        for (var i = 0; i < bundle.Entry.Count; i++)
        {
            if (bundle.Entry[i].Resource is not { } resource)
            {
                continue; // a conditional delete has no resource
            }

            foreach (var v in validator.Validate(resource))
            {
                violations.Add(new EntryViolation(i, v));
            }
        }

        return violations;
    }

    private bool ConformsAsBuilt(ChangeSet changeSet, HashSet<Resource> conforming)
    {
        if (changeSet.Json.Contains("\"div\"", StringComparison.Ordinal))
        {
            return false;
        }

        var bundle = changeSet.Transaction;
        var resources = new Resource?[bundle.Entry.Count];
        bool bundleIssues;
        try
        {
            for (var i = 0; i < resources.Length; i++)
            {
                resources[i] = bundle.Entry[i].Resource;
                bundle.Entry[i].Resource = null;
            }

            bundleIssues = validator.SdkIssues(bundle).Count > 0;
        }
        finally
        {
            for (var i = 0; i < resources.Length; i++)
            {
                bundle.Entry[i].Resource = resources[i];
            }
        }

        if (bundleIssues)
        {
            return false;
        }

        foreach (var resource in resources)
        {
            if (resource is null || conforming.Contains(resource))
            {
                continue;
            }

            if (validator.Validate(resource).Count > 0)
            {
                return false;
            }

            conforming.Add(resource);
        }

        return true;
    }

    // True only when the strict path is sure to find nothing: read without validation, the SDK validation over the
    // whole Bundle (its own elements here, each resource's inside ProfileValidator) and every profile all silent.
    private bool ConformsCheaply(string bundleJson)
    {
        if (bundleJson.Contains("\"div\"", StringComparison.Ordinal))
        {
            return false;
        }

        Bundle bundle;
        try
        {
            bundle = Unvalidated.Deserialize<Bundle>(bundleJson);
        }
        catch (Exception)
        {
            return false;
        }

        var resources = new Resource?[bundle.Entry.Count];
        for (var i = 0; i < resources.Length; i++)
        {
            resources[i] = bundle.Entry[i].Resource;
            bundle.Entry[i].Resource = null;
        }

        var bundleIssues = validator.SdkIssues(bundle).Count > 0;
        if (bundleIssues)
        {
            return false;
        }

        foreach (var resource in resources)
        {
            if (resource is not null && validator.Validate(resource).Count > 0)
            {
                return false;
            }
        }

        return true;
    }
}
