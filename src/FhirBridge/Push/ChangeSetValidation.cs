using FhirBridge.Conformance;

namespace FhirBridge.Cli.Push;

/// <summary>
/// Checks every resource of a change set against its profile in <c>profiles/</c> and the SDK's own validation before
/// it is sent (docs/registry.md, "Validation"). Messages name resource types, entries, element paths and rules, never
/// values, so they can be logged and kept with the dead letter.
/// </summary>
public sealed class ChangeSetValidation(ProfileValidator validator)
{
    private readonly TransactionValidation _transaction = new(validator);

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
