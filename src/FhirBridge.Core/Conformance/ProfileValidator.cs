using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Hl7.Fhir.ElementModel;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Validation;
using Hl7.FhirPath;
using Hl7.FhirPath.Expressions;

namespace FhirBridge.Conformance;

/// <summary>
/// Checks a resource before it goes to the registry: against the FHIR SDK's own validation (cardinality minimums,
/// empty elements, bad primitive literals) and against the profile its <c>meta.profile</c> names, read from the
/// profile's differential: min and max per element, choice types a profile restricts, extension slices by url
/// (and the extension's own definition when it is in the set), fixed and pattern values, and invariants of
/// severity error evaluated with the SDK's FHIRPath engine. Bindings, mustSupport and closed slicing are not checked
/// (profiles/README.md). Every profile is compiled when the validator is built, so a broken profile stops start-up.
/// Thread-safe once built: it holds compiled expressions and no state between calls.
/// </summary>
public sealed class ProfileValidator
{
    private readonly Dictionary<string, CompiledProfile> _profiles = new(StringComparer.Ordinal);

    /// <summary>Compiles every StructureDefinition of the set.</summary>
    /// <exception cref="InvalidProfileException">A profile uses an element R4 does not have, a slice other than an extension slice, or FHIRPath that does not compile (the message names the profile and element).</exception>
    public ProfileValidator(ProfileSet profiles)
    {
        ArgumentNullException.ThrowIfNull(profiles);

        // resolve() and the other FHIR functions need AddFhirExtensions; a plain FhirPathCompiler does not know them.
        var compiler = new FhirPathCompiler(new SymbolTable().AddStandardFP().AddFhirExtensions());
        var cache = new Dictionary<string, CompiledExpression>(StringComparer.Ordinal);
        var profileCompiler = new ProfileCompiler(expression =>
        {
            if (!cache.TryGetValue(expression, out var compiled))
            {
                compiled = compiler.Compile(expression);
                cache[expression] = compiled;
            }

            return compiled;
        });
        foreach (var definition in profiles.Definitions)
        {
            var compiled = profileCompiler.Compile(definition);
            _profiles[compiled.Url] = compiled;
        }

        Fingerprint = FingerprintOf(profiles);
    }

    /// <summary>
    /// What this check is, as a SHA-256 hex string: over the profiles' definitions, FhirBridge's own build and the SDK's
    /// (whose validation is part of the check). A verdict stored with a change set holds only while the fingerprint of
    /// the running check is the same; a profile edited, or FhirBridge or the SDK upgraded, changes it.
    /// </summary>
    public string Fingerprint { get; }

    /// <summary>
    /// For tests: called with the invariant's key and the engine's answer whenever <see cref="FastInvariant"/> answered
    /// "holds" (the engine is asked as well), so a test can show both agree on every instance it checks.
    /// </summary>
    internal Action<string, bool>? CrossCheck { get; init; }

    /// <summary>
    /// For tests: called with the instance and the number of issues the SDK's own validation finds on it whenever
    /// <see cref="FastElementValidation"/> answered "nothing" (the SDK is asked as well), so a test can show that the
    /// SDK then finds nothing either, and count how often the fast path answered.
    /// </summary>
    internal Action<Base, int>? ElementCrossCheck { get; init; }

    /// <summary>Every violation of the resource (none when it conforms), SDK findings first.</summary>
    public IReadOnlyList<ProfileViolation> Validate(Resource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var type = resource.TypeName;
        var violations = new List<ProfileViolation>();

        foreach (var issue in SdkIssues(resource))
        {
            // The SDK's message can quote the bad literal (a malformed birth date): use its fixed display text instead.
            var path = string.IsNullOrEmpty(issue.InstancePath) ? type : issue.InstancePath;
            violations.Add(new ProfileViolation(type, path, "sdk", $"{issue.Display ?? "invalid"} ({issue.ErrorCode}) at {path}"));
        }

        var claimed = resource.Meta?.Profile?.OfType<string>().Where(p => p.Length > 0).Distinct(StringComparer.Ordinal).ToList() ?? [];
        if (claimed.Count == 0)
        {
            violations.Add(new ProfileViolation(type, type + ".meta.profile", "profile", "meta.profile is missing: a registry resource names the profile it conforms to"));
        }

        var root = resource.ToPocoNode();
        foreach (var url in claimed)
        {
            if (!_profiles.TryGetValue(url, out var profile))
            {
                violations.Add(new ProfileViolation(type, type + ".meta.profile", "profile", $"meta.profile names {url}, which is not in profiles/"));
            }
            else if (profile.Type != type)
            {
                violations.Add(new ProfileViolation(type, type, "type", $"the profile {url} constrains {profile.Type}, not {type}"));
            }
            else
            {
                Check(profile, root, type, type, violations);
            }
        }

        return violations;
    }

    /// <summary>
    /// The SDK's own validation of <paramref name="instance"/> (recursive, narrative not checked). The common answer,
    /// nothing, comes from <see cref="FastElementValidation"/> when it is sure; everything else from the SDK, so every
    /// finding is the SDK's own.
    /// </summary>
    internal IReadOnlyCollection<CodedValidationException> SdkIssues(Base instance)
    {
        if (FastElementValidation.SurelyFindsNothing(instance))
        {
            if (ElementCrossCheck is { } check)
            {
                check(instance, instance.Validate(ModelInfo.ModelInspector, NarrativeValidationKind.None, null, true).Count);
            }

            return [];
        }

        return instance.Validate(ModelInfo.ModelInspector, NarrativeValidationKind.None, null, true);
    }

    /// <summary>
    /// Checks the instance under <paramref name="root"/> against a compiled profile. For an extension's own
    /// definition the root is the extension and <paramref name="pathPrefix"/> the slice it was found in, so a
    /// violation reads <c>Patient.extension:researchSubject.value[x].identifier</c>.
    /// </summary>
    private void Check(CompiledProfile profile, PocoNode root, string resourceType, string pathPrefix, List<ProfileViolation> violations)
    {
        var context = new FhirEvaluationContext();

        // Rules under the same parent (identifier.system, identifier.value) walk to it once per instance.
        var parentsByKey = new Dictionary<string, List<PocoNode>>(StringComparer.Ordinal);
        var occurrences = new List<PocoNode>();
        foreach (var rule in profile.Rules)
        {
            var path = pathPrefix + rule.Id[profile.Type.Length..];
            IReadOnlyList<PocoNode> parents;
            if (rule.Navigation is not { } navigation)
            {
                parents = rule.Parents is null ? [root] : rule.Parents(root, context).ToList();
            }
            else if (!parentsByKey.TryGetValue(navigation.ParentKey, out var cached))
            {
                cached = [root];
                foreach (var step in navigation.ParentSteps)
                {
                    var next = new List<PocoNode>();
                    foreach (var node in cached)
                    {
                        Select(node, step, next);
                    }

                    cached = next;
                }

                parentsByKey[navigation.ParentKey] = cached;
                parents = cached;
            }
            else
            {
                parents = cached;
            }

            foreach (var parent in parents)
            {
                occurrences.Clear();
                if (rule.Step is null)
                {
                    occurrences.Add(parent);
                }
                else if (rule.Navigation?.Step is { } step)
                {
                    Select(parent, step, occurrences);
                }
                else
                {
                    occurrences.AddRange(rule.Step(parent, context));
                }

                if (rule.Step is not null)
                {
                    if (occurrences.Count < rule.Min)
                    {
                        violations.Add(new ProfileViolation(resourceType, path, "min", $"{path}: at least {rule.Min} required, found {occurrences.Count} in {Location(parent)}"));
                    }

                    if (occurrences.Count > rule.Max)
                    {
                        violations.Add(new ProfileViolation(resourceType, path, "max", $"{path}: at most {rule.Max} allowed, found {occurrences.Count} in {Location(parent)}"));
                    }
                }

                foreach (var node in occurrences)
                {
                    CheckInstance(rule, node, resourceType, path, context, violations);
                }
            }
        }
    }

    // One navigation step, as its FHIRPath (`name`, .where(url = '...'), .ofType(FHIR.T)) selects, in document order.
    private static void Select(PocoNode node, NavigationStep step, List<PocoNode> into)
    {
        if (node.Child(step.Name) is not { } children)
        {
            return;
        }

        foreach (var child in children)
        {
            if (step.ExtensionUrl is { } url && !(child.Poco is Extension extension && string.Equals(extension.Url, url, StringComparison.Ordinal)))
            {
                continue;
            }

            if (step.OfType is { } type && !type.IsInstanceOfType(child.Poco))
            {
                continue;
            }

            into.Add(child);
        }
    }

    private void CheckInstance(ElementRule rule, PocoNode node, string resourceType, string path, FhirEvaluationContext context, List<ProfileViolation> violations)
    {
        if (rule.AllowedTypes is { } allowed && !allowed.Contains(node.Poco.TypeName))
        {
            // Its children and invariants are written for the allowed types: checking them on another type says nothing.
            violations.Add(new ProfileViolation(resourceType, path, "type", $"{path} must be {string.Join(" or ", allowed)}, found {node.Poco.TypeName} at {Location(node)}"));
            return;
        }

        if (rule.Fixed is { } fixedValue && !IsFixed(node.Poco, fixedValue))
        {
            violations.Add(new ProfileViolation(resourceType, path, "fixed", $"{path} at {Location(node)} differs from the profile's fixed {fixedValue.TypeName}"));
        }

        if (rule.Pattern is { } pattern && !MatchesPattern(node.Poco, pattern))
        {
            violations.Add(new ProfileViolation(resourceType, path, "pattern", $"{path} at {Location(node)} does not match the profile's {pattern.TypeName} pattern"));
        }

        foreach (var constraint in rule.Constraints)
        {
            if (!Holds(constraint, node, context))
            {
                violations.Add(new ProfileViolation(resourceType, path, constraint.Key, $"{constraint.Key} failed at {Location(node)}: {constraint.Human}"));
            }
        }

        if (rule.ExtensionUrl is { } url && _profiles.TryGetValue(url, out var extension))
        {
            Check(extension, node, resourceType, path, violations);
        }
    }

    // The short form (Patient.identifier[1].system) names an instance without the [0] on every singleton.
    private static string Location(PocoNode node) => node is IShortPathGenerator shortPath ? shortPath.ShortPath : node.GetLocation();

    // An invariant must evaluate to true: false, empty or an evaluation error (a type clash in the data) all fail. The
    // common answer (it holds) comes from FastInvariant when it is sure; everything else from the engine.
    private bool Holds(ConstraintRule constraint, PocoNode node, FhirEvaluationContext context)
    {
        if (constraint.Fast is { } fast && fast.SurelyHolds(node))
        {
            if (CrossCheck is { } check)
            {
                check(constraint.Key, EngineHolds(constraint, node, context));
            }

            return true;
        }

        return EngineHolds(constraint, node, context);
    }

    private static bool EngineHolds(ConstraintRule constraint, PocoNode node, FhirEvaluationContext context)
    {
        try
        {
            return constraint.Expression.IsTrue(node, context);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or InvalidCastException)
        {
            return false;
        }
    }

    // Fixed: exactly the value. A primitive compares its literal, so a Code<T> matches a fixedCode and a FhirUri a fixedUri.
    private static bool IsFixed(Base instance, DataType fixedValue) => fixedValue is PrimitiveType fixedPrimitive
        ? instance is PrimitiveType primitive && primitive.ToString() == fixedPrimitive.ToString()
        : instance.IsExactly(fixedValue);

    // Pattern: the instance has at least what the pattern has. A CodeableConcept contains every pattern coding
    // somewhere in its codings (the SDK's Matches compares lists position by position, which is not FHIR's rule).
    private static bool MatchesPattern(Base instance, DataType pattern) => pattern switch
    {
        PrimitiveType primitive => IsFixed(instance, primitive),
        CodeableConcept concept => instance is CodeableConcept actual
            && concept.Coding.All(wanted => actual.Coding.Any(coding => coding.Matches(wanted)))
            && (concept.Text is null || concept.Text == actual.Text),
        _ => instance.Matches(pattern),
    };

    private static string FingerprintOf(ProfileSet profiles)
    {
        var serializer = new FhirJsonSerializer();
        var text = new StringBuilder();
        text.Append("fhirbridge ").Append(BuildOf(typeof(ProfileValidator).Assembly)).Append('\n');
        text.Append("firely ").Append(BuildOf(typeof(Resource).Assembly)).Append(' ').Append(BuildOf(typeof(Patient).Assembly)).Append('\n');
        foreach (var definition in profiles.Definitions)
        {
            text.Append(serializer.SerializeToString(definition)).Append('\n');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    // The informational version carries the commit a build was made from (the SDK appends it), the assembly version
    // alone would not tell two builds of FhirBridge apart.
    private static string BuildOf(Assembly assembly) =>
        assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? assembly.GetName().Version?.ToString() ?? "unknown";
}
