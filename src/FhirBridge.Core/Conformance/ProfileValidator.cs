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
    [ThreadStatic]
    private static Walk? t_walk;

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

    /// <summary>
    /// For tests: called with the resource, whether <see cref="SurelyConforms"/> answered "conforms", and the number of
    /// violations <see cref="Check"/> finds (it then always runs), so a test can show "conforms" only where there are none.
    /// </summary>
    internal Action<Resource, bool, int>? WalkCrossCheck { get; init; }

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

        PocoNode? root = null;
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
            else if (WalkCrossCheck is { } check)
            {
                var conforms = SurelyConforms(profile, resource, ref root);
                var before = violations.Count;
                Check(profile, root ??= resource.ToPocoNode(), type, type, violations);
                check(resource, conforms, violations.Count - before);
            }
            else if (!SurelyConforms(profile, resource, ref root))
            {
                Check(profile, root ??= resource.ToPocoNode(), type, type, violations);
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

    /// <summary>
    /// True only when <see cref="Check"/> would find no violation of <paramref name="profile"/> on
    /// <paramref name="resource"/>; false means "not known", and <see cref="Check"/> then runs from the start and reports.
    /// It takes the very steps <see cref="Check"/> takes, in the same order, on the POCOs themselves: children by
    /// <see cref="Base.TryGetValue"/>, the call <see cref="PocoNode.Child"/> makes, so no PocoNode, enumerator or list
    /// per element; a PocoNode is made only for an invariant the FHIRPath engine evaluates (from the resource's node
    /// down, as <see cref="Check"/> reaches it). It stops at the first violation, at anything <see cref="Check"/> would
    /// meet differently (a null item in a list, navigation only FHIRPath gives) and wherever <see cref="FastInvariant"/>
    /// is not sure. Test: ProfileWalkTests compares it with <see cref="Check"/> over the sample's change sets and the
    /// mutated reference corpus.
    /// </summary>
    /// <param name="profile">The resource's profile (of its type).</param>
    /// <param name="resource">The resource.</param>
    /// <param name="root">The resource's PocoNode, made here when the engine needs it, for <see cref="Check"/> to reuse.</param>
    private bool SurelyConforms(CompiledProfile profile, Resource resource, ref PocoNode? root)
    {
        var walk = t_walk ??= new Walk();
        walk.Start(resource, root);
        try
        {
            return Conforms(profile, 0, walk);
        }
        finally
        {
            root = walk.RootNode;
            walk.Clear();
        }
    }

    // Check's loop over the rules, on the walk's occurrences: the instance under the occurrence at rootAt.
    private bool Conforms(CompiledProfile profile, int rootAt, Walk walk)
    {
        // Rules under the same parent walk to it once per instance, as in Check: the parents' range in the walk.
        Span<int> parentsFrom = stackalloc int[profile.ParentGroupCount];
        Span<int> parentsCount = stackalloc int[profile.ParentGroupCount];
        parentsFrom.Fill(-1);
        FhirEvaluationContext? context = null;
        for (var r = 0; r < profile.Rules.Count; r++)
        {
            var rule = profile.Rules[r];
            if (rule.Navigation is not { } navigation)
            {
                return false; // only FHIRPath selects its parents
            }

            var group = profile.ParentGroup[r];
            if (parentsFrom[group] < 0)
            {
                int from = rootAt, count = 1;
                for (var s = 0; s < navigation.ParentSteps.Count; s++)
                {
                    var step = navigation.ParentSteps[s];
                    var next = walk.Count;
                    for (var i = from; i < from + count; i++)
                    {
                        if (!walk.Select(i, step))
                        {
                            return false;
                        }
                    }

                    (from, count) = (next, walk.Count - next);
                }

                (parentsFrom[group], parentsCount[group]) = (from, count);
            }

            for (var parent = parentsFrom[group]; parent < parentsFrom[group] + parentsCount[group]; parent++)
            {
                int first = parent, occurrences = 1;
                if (rule.Step is not null)
                {
                    if (navigation.Step is not { } step)
                    {
                        return false;
                    }

                    first = walk.Count;
                    if (!walk.Select(parent, step))
                    {
                        return false;
                    }

                    occurrences = walk.Count - first;
                    if (occurrences < rule.Min || occurrences > rule.Max)
                    {
                        return false;
                    }
                }

                for (var at = first; at < first + occurrences; at++)
                {
                    if (!InstanceConforms(rule, at, walk, ref context))
                    {
                        return false;
                    }
                }
            }
        }

        return true;
    }

    // CheckInstance's tests, in its order; false at the first it would report or could not be sure of.
    private bool InstanceConforms(ElementRule rule, int at, Walk walk, ref FhirEvaluationContext? context)
    {
        var instance = walk.Instance(at);
        if (rule.AllowedTypes is { } allowed && !allowed.Contains(instance.TypeName))
        {
            return false;
        }

        if ((rule.Fixed is { } fixedValue && !IsFixed(instance, fixedValue)) || (rule.Pattern is { } pattern && !MatchesPattern(instance, pattern)))
        {
            return false;
        }

        foreach (var constraint in rule.Constraints)
        {
            if (constraint.Fast is { } fast)
            {
                // Not sure here is left to Check, which asks the engine: this path answers only "it holds".
                if (!fast.SurelyHolds(instance))
                {
                    return false;
                }

                if (CrossCheck is { } check)
                {
                    check(constraint.Key, EngineHolds(constraint, walk.Node(at), context ??= new FhirEvaluationContext()));
                }
            }
            else if (!EngineHolds(constraint, walk.Node(at), context ??= new FhirEvaluationContext()))
            {
                return false;
            }
        }

        return rule.ExtensionUrl is not { } url || !_profiles.TryGetValue(url, out var extension) || Conforms(extension, at, walk);
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

    /// <summary>
    /// The occurrences one <see cref="SurelyConforms"/> call has found, each with where it was found (the occurrence it
    /// is a child of, the element name, its index in a list), so its PocoNode can be made when the engine needs one.
    /// Reused by the calls of one thread (the check runs on several recompute workers at once).
    /// </summary>
    private sealed class Walk
    {
        private readonly List<Occurrence> _found = [];

        public PocoNode? RootNode { get; private set; }

        public int Count => _found.Count;

        private Resource? _resource;

        public void Start(Resource resource, PocoNode? rootNode)
        {
            _found.Clear();
            _found.Add(new Occurrence(resource, -1, "", -1));
            _resource = resource;
            RootNode = rootNode;
        }

        // Let go of the resource: the walk outlives the call.
        public void Clear()
        {
            _found.Clear();
            _resource = null;
            RootNode = null;
        }

        public Base Instance(int at) => _found[at].Instance;

        /// <summary>
        /// The children <see cref="ProfileValidator.Select(PocoNode, NavigationStep, List{PocoNode})"/> would give the
        /// occurrence at <paramref name="at"/>, appended; false where that would meet a null item or a value
        /// <see cref="PocoNode.Child"/> refuses.
        /// </summary>
        public bool Select(int at, NavigationStep step)
        {
            if (!_found[at].Instance.TryGetValue(step.Name, out var value))
            {
                return true;
            }

            if (value is Base single)
            {
                Add(at, step, single, -1);
                return true;
            }

            if (value is not IReadOnlyList<Base> list)
            {
                return false;
            }

            for (var i = 0; i < list.Count; i++)
            {
                if (list[i] is not { } item)
                {
                    return false;
                }

                Add(at, step, item, i);
            }

            return true;
        }

        private void Add(int parent, NavigationStep step, Base child, int index)
        {
            if (step.ExtensionUrl is { } url && !(child is Extension extension && string.Equals(extension.Url, url, StringComparison.Ordinal)))
            {
                return;
            }

            if (step.OfType is { } type && !type.IsInstanceOfType(child))
            {
                return;
            }

            _found.Add(new Occurrence(child, parent, step.Name, index));
        }

        /// <summary>The PocoNode <see cref="Check"/> has for the occurrence: the resource's, then child by child.</summary>
        public PocoNode Node(int at)
        {
            var occurrence = _found[at];
            if (occurrence.Parent < 0)
            {
                return RootNode ??= _resource!.ToPocoNode();
            }

            var children = Node(occurrence.Parent).Child(occurrence.Name)!;
            return occurrence.Index < 0 ? (PocoNode)children : children.ElementAt(occurrence.Index);
        }

        private readonly record struct Occurrence(Base Instance, int Parent, string Name, int Index);
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
