using FhirBridge.Conformance;
using Hl7.Fhir.Model;

namespace FhirBridge.Tests.Conformance;

/// <summary>Assertions on what the validator reports for a resource, with every violation in the failure message.</summary>
internal static class ViolationAssert
{
    /// <summary>The resource conforms: no violation at all.</summary>
    public static void Conforms(Resource resource)
    {
        var violations = RegistryProfiles.Validate(resource);
        Assert.True(violations.Count == 0, "expected no violations, got:\n" + Describe(violations));
    }

    /// <summary>Exactly one violation of that rule at that path (others may exist); returns it.</summary>
    public static ProfileViolation Reports(Resource resource, string rule, string path)
    {
        var violations = RegistryProfiles.Validate(resource);
        var matching = violations.Where(v => v.Rule == rule && v.Path == path).ToList();
        Assert.True(matching.Count == 1, $"expected one {rule} at {path}, got:\n" + Describe(violations));
        return matching[0];
    }

    /// <summary>That violation and nothing else.</summary>
    public static ProfileViolation ReportsOnly(Resource resource, string rule, string path)
    {
        var violations = RegistryProfiles.Validate(resource);
        Assert.True(violations.Count == 1 && violations[0].Rule == rule && violations[0].Path == path, $"expected only {rule} at {path}, got:\n" + Describe(violations));
        return violations[0];
    }

    private static string Describe(IReadOnlyList<ProfileViolation> violations) =>
        violations.Count == 0 ? "(none)" : string.Join('\n', violations.Select(v => $"  {v.Rule} {v.Path}: {v.Message}"));
}
