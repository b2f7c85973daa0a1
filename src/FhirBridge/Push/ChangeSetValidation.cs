using FhirBridge.Conformance;
using FhirBridge.Reconcile;
using FhirBridge.Storage;

namespace FhirBridge.Cli.Push;

/// <summary>
/// Checks every resource of a change set against its profile in <c>profiles/</c> and the SDK's own validation before
/// it is sent (docs/registry.md, "Validation"). Messages name resource types, entries, element paths and rules, never
/// values, so they can be logged and kept with the dead letter.
/// </summary>
public sealed class ChangeSetValidation(ProfileValidator validator)
{
    private readonly TransactionValidation _transaction = new(validator);

    /// <summary>The fingerprint of this check (<see cref="ProfileValidator.Fingerprint"/>), stored as the verdict of a change set found conforming.</summary>
    public string Fingerprint => _transaction.Fingerprint;

    /// <summary>
    /// The verdict to store with each of a patient's new change sets: <see cref="Fingerprint"/> when it conforms, checked
    /// on the objects it was made from (<see cref="TransactionValidation.ConformsAsBuilt"/>), else null, and the push
    /// checks its JSON as it always did, so what is dead-lettered and with which message does not change.
    /// </summary>
    /// <param name="changeSets">The change sets of one patient's reconcile, in order; thread-safe across patients.</param>
    public IReadOnlyList<string?> CheckedBy(IReadOnlyList<ChangeSet> changeSets) =>
        [.. _transaction.ConformsAsBuilt(changeSets).Select(conforms => conforms ? Fingerprint : null)];

    /// <summary>Whether the item was found conforming by this very check when it was made, so the push need not check it again.</summary>
    public bool Vouches(OutboxItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        return item.CheckedBy is { } checkedBy && string.Equals(checkedBy, Fingerprint, StringComparison.Ordinal);
    }

    /// <summary>Null when every resource conforms; else one message listing every violation.</summary>
    /// <param name="bundleJson">The change set's transaction Bundle.</param>
    public string? Check(string bundleJson)
    {
        if (_transaction.Validate(bundleJson) is not { } violations)
        {
            return "the change set is not a FHIR transaction Bundle FhirBridge can read; it was not sent";
        }

        return violations.Count == 0
            ? null
            : $"{violations.Count} profile violation(s); not sent: " + string.Join("; ", violations.Select(e => $"entry {e.Entry} {e.Violation.ResourceType}: {e.Violation.Path} [{e.Violation.Rule}] {e.Violation.Message}"));
    }
}
