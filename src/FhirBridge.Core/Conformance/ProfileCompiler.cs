using System.Globalization;
using Hl7.Fhir.Introspection;
using Hl7.Fhir.Model;
using Hl7.FhirPath;

namespace FhirBridge.Conformance;

/// <summary>
/// Turns a StructureDefinition's differential into <see cref="ElementRule"/>s: each element id becomes FHIRPath
/// that finds its instances. There is no snapshot (core definitions are not available offline), so each path is
/// resolved against the SDK's own model of R4 instead; an element R4 does not have, a slice that is not an
/// extension slice or an invariant that does not compile is refused here, at start-up, not ignored at push time.
/// </summary>
/// <param name="compile">Compiles FHIRPath (the caller caches, so each distinct expression is compiled once).</param>
internal sealed class ProfileCompiler(Func<string, CompiledExpression> compile)
{
    private static readonly ModelInspector Model = ModelInfo.ModelInspector;

    /// <exception cref="InvalidProfileException">The profile uses something this validator cannot check.</exception>
    public CompiledProfile Compile(StructureDefinition definition)
    {
        // ProfileSet has checked that url and type are there.
        var url = definition.Url!;
        var type = definition.Type!;
        var root = Model.FindClassMapping(type);
        if (root is null || root.Name != type)
        {
            throw new InvalidProfileException($"{url}: {type} is not a FHIR R4 type");
        }

        var byId = new Dictionary<string, ElementDefinition>(StringComparer.Ordinal);
        foreach (var element in definition.Differential!.Element)
        {
            if (!byId.TryAdd(IdOf(definition, element), element))
            {
                throw Invalid(definition, IdOf(definition, element), "appears twice in the differential");
            }
        }

        var rules = byId.Select(e => CompileElement(definition, root, e.Key, e.Value, byId)).ToList();
        return new CompiledProfile(url, type, rules);
    }

    private ElementRule CompileElement(StructureDefinition definition, ClassMapping root, string id, ElementDefinition element, Dictionary<string, ElementDefinition> byId)
    {
        var segments = id.Split('.');
        if (segments[0] != definition.Type)
        {
            throw Invalid(definition, id, $"does not start with {definition.Type}");
        }

        var constraints = Constraints(definition, id, element);
        if (segments.Length == 1)
        {
            if (element.Fixed is not null || element.Pattern is not null)
            {
                throw Invalid(definition, id, "fixed and pattern values on the root element are not supported");
            }

            return new ElementRule(id, null, null, null, null, null, null, null, constraints, null) { Navigation = new RuleNavigation("", [], null) };
        }

        // Walk the id one segment at a time through the model: the parent's segments become the path to the
        // parent instances, the last one the step that finds this element's occurrences under each parent.
        var mapping = root;
        var parentSteps = new List<string>();
        var parentNav = new List<NavigationStep>();
        var direct = true;
        for (var i = 1; ; i++)
        {
            var prefix = string.Join('.', segments, 0, i + 1);
            var nav = Navigate(definition, prefix, mapping, segments[i], byId);
            if (i == segments.Length - 1)
            {
                return new ElementRule(
                    id,
                    parentSteps.Count == 0 ? null : CompileOrThrow(definition, id, string.Join('.', parentSteps)),
                    CompileOrThrow(definition, id, nav.Step),
                    element.Min,
                    Max(definition, id, element.Max),
                    nav.Types,
                    element.Fixed,
                    element.Pattern,
                    constraints,
                    nav.ExtensionUrl)
                {
                    Navigation = direct ? new RuleNavigation(string.Join('.', parentSteps), [.. parentNav], new NavigationStep(nav.Name, nav.ExtensionUrl, null)) : null,
                };
            }

            // The same steps without FHIRPath; a parent restricted to a primitive type keeps the FHIRPath (its ofType
            // rules for primitives are the engine's own), but no shipped profile has one.
            var restricted = nav.Types is [var single] ? Model.FindClassMapping(single) : null;
            direct &= restricted is null || !restricted.IsPrimitive;
            parentNav.Add(new NavigationStep(nav.Name, nav.ExtensionUrl, restricted?.NativeType));

            // Below a choice restricted to one type (performed[x] as Period), only instances of that type have the
            // children the profile constrains; an instance of another type is reported by the choice's own rule.
            parentSteps.Add(nav.Types is [var only] ? $"{nav.Step}.ofType(FHIR.{only})" : nav.Step);
            mapping = nav.Next ?? throw Invalid(definition, id, $"{prefix} allows several types: restrict it to one to constrain its children");
        }
    }

    private static Navigation Navigate(StructureDefinition definition, string prefix, ClassMapping mapping, string segment, Dictionary<string, ElementDefinition> byId)
    {
        var colon = segment.IndexOf(':', StringComparison.Ordinal);
        var name = colon < 0 ? segment : segment[..colon];
        var element = byId.GetValueOrDefault(prefix);
        PropertyMapping property;
        IReadOnlyList<string>? types = null;
        if (name.EndsWith("[x]", StringComparison.Ordinal))
        {
            property = Exact(mapping, name[..^3]) is { Choice: ChoiceType.DatatypeChoice } choice
                ? choice
                : throw Invalid(definition, prefix, $"{mapping.Name} has no choice element {name}");
            types = element?.Type.Select(t => t.Code).OfType<string>().Distinct().ToList() is { Count: > 0 } listed ? listed : null;
        }
        else if (Exact(mapping, name) is { } exact)
        {
            property = exact.Choice == ChoiceType.DatatypeChoice
                ? throw Invalid(definition, prefix, $"{name} is a choice element: write it {name}[x]")
                : exact;
        }
        else if (mapping.FindMappedElementByChoiceName(name) is { Choice: ChoiceType.DatatypeChoice } choice
            && Model.FindClassMapping(name[choice.Name.Length..]) is { } renamedType)
        {
            // A renamed choice path (effectivePeriod, valueQuantity) is the choice element restricted to that type.
            property = choice;
            types = [renamedType.Name];
            if (element?.Type is { Count: > 0 } listed && listed.Any(t => t.Code != renamedType.Name))
            {
                throw Invalid(definition, prefix, $"its type list disagrees with the {renamedType.Name} its name says");
            }
        }
        else
        {
            throw Invalid(definition, prefix, $"{mapping.Name} has no element {name}");
        }

        if (types is not null)
        {
            var allowed = property.FhirTypeMappings.Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
            if (types.FirstOrDefault(t => !allowed.Contains(t)) is { } wrong)
            {
                throw Invalid(definition, prefix, $"{wrong} is not a type {property.Name}[x] allows");
            }
        }

        var step = $"`{property.Name}`";
        string? extensionUrl = null;
        if (colon >= 0)
        {
            extensionUrl = ExtensionSliceUrl(definition, prefix, property, element, byId);
            step += $".where(url = '{extensionUrl.Replace("'", "\\'", StringComparison.Ordinal)}')";
        }

        var next = types is [var single] ? Model.FindClassMapping(single)
            : property.Choice == ChoiceType.DatatypeChoice ? null
            : property.PropertyTypeMapping;
        return new Navigation(step, property.Name, types, next, extensionUrl);
    }

    // Only extension slices are supported, and they are told apart the way FHIR does it for extensions: by url,
    // the url being the extension's canonical (type[0].profile), which also finds the extension's own definition.
    private static string ExtensionSliceUrl(StructureDefinition definition, string prefix, PropertyMapping property, ElementDefinition? slice, Dictionary<string, ElementDefinition> byId)
    {
        if (property.Name is not ("extension" or "modifierExtension"))
        {
            throw Invalid(definition, prefix, "only extension slices are supported");
        }

        var sliced = prefix[..prefix.LastIndexOf(':')];
        if (byId.GetValueOrDefault(sliced)?.Slicing?.Discriminator is not { } discriminators
            || !discriminators.Any(d => d.Type == ElementDefinition.DiscriminatorType.Value && d.Path == "url"))
        {
            throw Invalid(definition, prefix, $"{sliced} needs slicing with a value discriminator on url");
        }

        return slice?.Type.FirstOrDefault()?.Profile.FirstOrDefault()
            ?? throw Invalid(definition, prefix, "an extension slice needs type[0].profile, the extension's url");
    }

    private List<ConstraintRule> Constraints(StructureDefinition definition, string id, ElementDefinition element)
    {
        var rules = new List<ConstraintRule>();
        foreach (var constraint in element.Constraint.Where(c => c.Severity == ConstraintSeverity.Error))
        {
            if (string.IsNullOrWhiteSpace(constraint.Key) || string.IsNullOrWhiteSpace(constraint.Expression))
            {
                throw Invalid(definition, id, "an error invariant needs a key and an expression");
            }

            rules.Add(new ConstraintRule(constraint.Key, constraint.Human ?? constraint.Key, CompileOrThrow(definition, id, constraint.Expression, constraint.Key), FastInvariant.TryCompile(constraint.Expression)));
        }

        return rules;
    }

    private CompiledExpression CompileOrThrow(StructureDefinition definition, string id, string expression, string? key = null)
    {
        try
        {
            return compile(expression);
        }
        catch (FormatException e)
        {
            throw new InvalidProfileException($"{definition.Url}, element {id}: {(key is null ? "its path" : "invariant " + key)} does not compile as FHIRPath: {e.Message}", e);
        }
    }

    private static int? Max(StructureDefinition definition, string id, string? max) =>
        max is null or "*" ? null
        : int.TryParse(max, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n
        : throw Invalid(definition, id, "max must be a number or *");

    private static PropertyMapping? Exact(ClassMapping mapping, string name) =>
        mapping.FindMappedElementByName(name) is { } property && property.Name == name ? property : null;

    private static string IdOf(StructureDefinition definition, ElementDefinition element)
    {
        var id = element.ElementId ?? (element.SliceName is null ? element.Path : null)
            ?? throw new InvalidProfileException($"{definition.Url}: the slice {element.SliceName} of {element.Path} needs an id");

        // The id is what is navigated (it carries the slice names); the path must say the same without them.
        var path = string.Join('.', id.Split('.').Select(s => s.Split(':')[0]));
        return path == element.Path ? id : throw Invalid(definition, id, $"its path {element.Path} does not match its id");
    }

    private static InvalidProfileException Invalid(StructureDefinition definition, string id, string message) =>
        new($"{definition.Url}, element {id}: {message}");

    private sealed record Navigation(string Step, string Name, IReadOnlyList<string>? Types, ClassMapping? Next, string? ExtensionUrl);
}
