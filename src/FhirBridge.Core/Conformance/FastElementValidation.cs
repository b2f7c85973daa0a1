using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;
using FhirBridge.Ingest;
using Hl7.Fhir.Introspection;
using Hl7.Fhir.Model;
using Hl7.Fhir.Validation;

namespace FhirBridge.Conformance;

/// <summary>
/// Answers only "the SDK's own validation (<c>Validate(ModelInfo.ModelInspector, NarrativeValidationKind.None, null,
/// true)</c>) surely finds nothing on this tree", and otherwise "ask the SDK". It walks the POCO tree as the SDK's
/// <c>PocoValidationExtensions</c> does (every element <see cref="Base.EnumerateElements"/> yields, recursively) and
/// checks, from the SDK's own metadata (<see cref="ClassMapping"/>, <see cref="PropertyMapping"/>), what
/// <c>FhirAttributeValidator</c> checks there in Firely 6.8: the element is a mapped one with its exact name and of its
/// property's type, <see cref="CardinalityAttribute"/> (min, max, no null items, every element with a minimum present),
/// <see cref="AllowedTypesAttribute"/> (choice types, open choice), an element is not empty, and a primitive's literal
/// (its own <see cref="PrimitiveType.HasValidValue"/>, the very check the SDK runs, or for string types whose check is
/// exactly their <c>IsValidValue</c> that one through <see cref="StrictShape.TextCheck"/>, as the ingest path does).
/// </summary>
/// <remarks>
/// It declines (false) on anything it does not fully understand: overflow (unknown or wrongly cased elements), a
/// dynamic type, a resource inside the tree (contained resources, a Bundle entry's resource), narrative XHTML, a
/// validation attribute on a class or property other than the two above, an <see cref="AllowedTypesAttribute"/> with
/// type names, a type whose <c>ValidateInvariants</c> is not one of the three it knows (Base, PrimitiveType,
/// DomainResource, the last only checking nested contained resources, which are declined before), and any finding at
/// all. Declining costs only the walk so far: the SDK then runs exactly as before and reports. Thread-safe: the
/// per-type shapes are built once into a concurrent cache and never change. Test: FastElementValidationTests checks
/// it against the SDK on every instance of the reference corpus and its mutations, and rule by rule.
/// </remarks>
internal static class FastElementValidation
{
    private static readonly ConcurrentDictionary<Type, ElementShape?> Shapes = new();
    private static readonly ConcurrentDictionary<Type, bool> OpenTypes = new();

    // The ValidateInvariants implementations whose checks are replicated here (Firely 6.8).
    private static readonly Type[] KnownInvariants = [typeof(Base), typeof(PrimitiveType), typeof(DomainResource)];

    /// <summary>True when the SDK's validation surely finds nothing on <paramref name="root"/>; false when the SDK must decide.</summary>
    public static bool SurelyFindsNothing(Base root)
    {
        ArgumentNullException.ThrowIfNull(root);
        try
        {
            return Holds(root, isRoot: true);
        }
        catch (KeyNotFoundException)
        {
            // TryGetValue on an element whose wrongly typed value was put in the overflow and then removed: declined.
            return false;
        }
    }

    /// <summary>
    /// The elements <see cref="Base.EnumerateElements"/> yields for <paramref name="node"/>, found the way the fast path
    /// finds them (one <see cref="Base.TryGetValue"/> per element name of its type); null where the fast path declines
    /// the type or the node has overflow. For tests, to show both give the same.
    /// </summary>
    internal static List<KeyValuePair<string, object>>? ElementsOf(Base node)
    {
        if (node.HasOverflow || ShapeOf(node.GetType()) is not { } shape)
        {
            return null;
        }

        var elements = new List<KeyValuePair<string, object>>();
        foreach (var probe in shape.Probes)
        {
            if (node.TryGetValue(probe.Name, out var value))
            {
                elements.Add(new(probe.Name, value));
            }
        }

        return elements;
    }

    private static bool Holds(Base node, bool isRoot)
    {
        if ((!isRoot && node is Resource) || node.HasOverflow || ShapeOf(node.GetType()) is not { } shape)
        {
            return false;
        }

        // Every element EnumerateElements would yield, asked for by name (TryGetValue, the same test of "present" the
        // generated code makes there) rather than enumerated: no iterator per node and level of the class hierarchy.
        var seenMandatory = 0;
        var any = false;
        foreach (var probe in shape.Probes)
        {
            if (!node.TryGetValue(probe.Name, out var value))
            {
                continue;
            }

            any = true;
            if (probe.Member is not { } member || !Holds(member, value))
            {
                return false;
            }

            if (member.IsMandatory)
            {
                seenMandatory++;
            }
        }

        if (seenMandatory != shape.MandatoryCount)
        {
            return false; // a mandatory element is missing (the SDK reports its minimum)
        }

        if (node is PrimitiveType primitive)
        {
            // The SDK: no value and no children is an empty element; then the literal check of the type itself.
            return primitive.JsonValue switch
            {
                null => any,
                string text when shape.TextCheck is { } check => check(text),
                _ => primitive.HasValidValue(),
            };
        }

        return any; // an element with neither value nor children is empty
    }

    private static bool Holds(ElementMember member, object value)
    {
        if (!member.PropertyType.IsInstanceOfType(value))
        {
            return false;
        }

        if (value is Base single)
        {
            return member.Max != 0 && member.Min <= 1 && Allowed(member, single) && Holds(single, isRoot: false);
        }

        if (value is not IList list || value is not IReadOnlyCollection<Base>)
        {
            return false;
        }

        var count = list.Count;
        if (count < member.Min || (member.Max != -1 && count > member.Max))
        {
            return false;
        }

        for (var i = 0; i < count; i++)
        {
            if (list[i] is not Base item || !Allowed(member, item) || !Holds(item, isRoot: false))
            {
                return false;
            }
        }

        return true;
    }

    // AllowedTypesAttribute's rule for .NET types and open choice (type names were declined when the shape was built).
    private static bool Allowed(ElementMember member, Base item)
    {
        foreach (var allowed in member.AllowedTypes)
        {
            var ok = allowed.Types is { Length: > 0 } types && item is not IDynamicType && IsAnyOf(types, item);
            if (!ok && allowed.OpenChoice)
            {
                ok = item is not IDynamicType && OpenTypes.GetOrAdd(item.GetType(), t => ModelInfo.ModelInspector.OpenTypes.Any(o => o.IsAssignableFrom(t)));
            }

            if (!ok && (allowed.Types is { Length: > 0 } || allowed.OpenChoice))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsAnyOf(Type[] types, Base item)
    {
        foreach (var type in types)
        {
            if (type.IsInstanceOfType(item))
            {
                return true;
            }
        }

        return false;
    }

    private static ElementShape? ShapeOf(Type type) => Shapes.GetOrAdd(type, ElementShape.Build);

    /// <summary>What the fast path knows of one element of a type.</summary>
    private sealed class ElementMember(Type propertyType, int min, int max, bool isMandatory, AllowedTypesAttribute[] allowedTypes)
    {
        /// <summary>The property's .NET type (a value of another type is an SDK finding).</summary>
        public Type PropertyType { get; } = propertyType;

        /// <summary>The minimum of the element's CardinalityAttribute (0 without one).</summary>
        public int Min { get; } = min;

        /// <summary>The maximum of the element's CardinalityAttribute (-1 unbounded; 1 without one).</summary>
        public int Max { get; } = max;

        /// <summary>True when the class lists the element among its mandatory elements.</summary>
        public bool IsMandatory { get; } = isMandatory;

        /// <summary>The element's AllowedTypesAttributes (each must accept every value).</summary>
        public AllowedTypesAttribute[] AllowedTypes { get; } = allowedTypes;
    }

    /// <summary>One element name of a type, and what the fast path knows of it (null: declined when present).</summary>
    private sealed record ElementProbe(string Name, ElementMember? Member);

    /// <summary>The elements of one type as the SDK's validation sees them; built only for types fully understood.</summary>
    private sealed class ElementShape
    {
        private ElementShape(ElementProbe[] probes, int mandatoryCount, Func<string, bool>? textCheck)
        {
            Probes = probes;
            MandatoryCount = mandatoryCount;
            TextCheck = textCheck;
        }

        /// <summary>
        /// For a string primitive whose SDK literal check is exactly its <c>IsValidValue</c>: that check, with the
        /// ingest path's quick date recogniser and verdict cache for repeating literals (uris, codes) in front.
        /// </summary>
        public Func<string, bool>? TextCheck { get; }

        /// <summary>
        /// Every element name the type's generated code can yield from EnumerateElements (every [FhirElement] of its
        /// properties, of any FHIR release), each with its member, or none when an instance that has it is declined.
        /// </summary>
        public ElementProbe[] Probes { get; }

        /// <summary>How many mandatory elements the type has (all must be present).</summary>
        public int MandatoryCount { get; }

        /// <summary>The shape of <paramref name="type"/>, or null when the fast path declines every instance of it.</summary>
        public static ElementShape? Build(Type type)
        {
            if (typeof(IDynamicType).IsAssignableFrom(type) || type == typeof(XHtml)
                || ModelInfo.ModelInspector.FindOrImportClassMapping(type) is not { } mapping
                || mapping.NativeType != type || mapping.ValidationAttributes.Length > 0 || !InvariantsKnown(type))
            {
                return null;
            }

            // The SDK's list of mandatory elements is internal: a minimum above zero or the mapping's own flag makes a
            // superset of it, so requiring all of them present only declines more.
            var mandatory = mapping.PropertyMappings
                .Where(p => p.IsMandatoryElement || p.ValidationAttributes.OfType<CardinalityAttribute>().Any(c => c.Min > 0))
                .Select(p => p.Name)
                .ToHashSet(StringComparer.Ordinal);
            var members = new Dictionary<string, ElementMember>(StringComparer.Ordinal);
            foreach (var property in mapping.PropertyMappings)
            {
                if (property.IsPrimitive)
                {
                    continue; // a primitive's own value: never among the elements the SDK walks, its literal is checked apart
                }

                var attributes = property.ValidationAttributes;
                if (property.NativeProperty is null
                    || !ReferenceEquals(mapping.FindMappedElementByName(property.Name), property)
                    || attributes.Any(a => a is not CardinalityAttribute and not AllowedTypesAttribute)
                    || attributes.OfType<AllowedTypesAttribute>().Any(a => a.TypeNames is { Length: > 0 })
                    || attributes.OfType<CardinalityAttribute>().Count() > 1)
                {
                    continue; // not understood: an instance that has this element is declined
                }

                var cardinality = attributes.OfType<CardinalityAttribute>().SingleOrDefault();
                members[property.Name] = new ElementMember(
                    property.PropertyType,
                    cardinality?.Min ?? 0,
                    cardinality?.Max ?? -1,
                    mandatory.Contains(property.Name),
                    [.. attributes.OfType<AllowedTypesAttribute>()]);
            }

            // A mandatory element the shape does not know could never be counted: decline the type.
            if (!mandatory.All(members.ContainsKey))
            {
                return null;
            }

            // The names EnumerateElements yields are those of the generated properties' [FhirElement] attributes; one
            // that is not a member here (another release's element, a primitive's own value) is declined when present.
            var names = type.GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
                .SelectMany(p => p.GetCustomAttributes<FhirElementAttribute>(inherit: true))
                .Select(a => a.Name)
                .Concat(mapping.PropertyMappings.Select(p => p.Name))
                .Distinct(StringComparer.Ordinal)
                .Select(name => new ElementProbe(name, members.GetValueOrDefault(name)));
            return new ElementShape([.. names], mandatory.Count, StrictShape.TextCheck(type));
        }

        private static bool InvariantsKnown(Type type)
        {
            var method = type.GetMethod("ValidateInvariants", BindingFlags.Instance | BindingFlags.NonPublic, [typeof(PocoValidationContext)]);
            return method is not null && KnownInvariants.Contains(method.DeclaringType);
        }
    }
}
