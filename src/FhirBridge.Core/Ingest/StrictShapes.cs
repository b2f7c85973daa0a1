using System.Collections.Concurrent;
using System.Reflection;
using Hl7.Fhir.Introspection;
using Hl7.Fhir.Model;

namespace FhirBridge.Ingest;

/// <summary>How <see cref="StrictResourceReader"/> checks one JSON value.</summary>
internal enum StrictKind
{
    /// <summary>Anything the strict reader does not understand: its presence makes the reader decline.</summary>
    Unsupported,

    /// <summary>A complex type or backbone element: a JSON object read against its own <see cref="StrictShape"/>.</summary>
    Complex,

    /// <summary>A string primitive whose validity is exactly its type's <c>IsValidValue(string)</c>.</summary>
    Text,

    /// <summary>A <c>Code&lt;T&gt;</c>: a string that is one of the enum's literals, exactly.</summary>
    EnumCode,

    /// <summary>boolean: JSON true or false.</summary>
    Boolean,

    /// <summary>integer: a plain JSON integer within Int32.</summary>
    Integer,

    /// <summary>positiveInt: a plain JSON integer above zero.</summary>
    PositiveInt,

    /// <summary>unsignedInt: a plain JSON integer of zero or more.</summary>
    UnsignedInt,

    /// <summary>decimal: a plain JSON number (no exponent) that fits a .NET decimal.</summary>
    Decimal,
}

/// <summary>One JSON property name of an object: which element it fills and what its value must be.</summary>
internal sealed class StrictMember(int slot, bool isCollection, int min, int max, StrictKind kind, ClassMapping valueMapping, Func<string, bool>? isValid)
{
    private StrictShape? _shape;

    /// <summary>The element's index in its object (the choice variants of one element share it).</summary>
    public int Slot { get; } = slot;

    /// <summary>True when the element repeats (a JSON array).</summary>
    public bool IsCollection { get; } = isCollection;

    /// <summary>The element's minimum cardinality.</summary>
    public int Min { get; } = min;

    /// <summary>The element's maximum cardinality; -1 for unbounded.</summary>
    public int Max { get; } = max;

    /// <summary>How the value is checked.</summary>
    public StrictKind Kind { get; } = kind;

    /// <summary>The SDK's mapping of the value's type.</summary>
    public ClassMapping ValueMapping { get; } = valueMapping;

    /// <summary>For <see cref="StrictKind.Text"/>: the SDK's own literal check of the type.</summary>
    public Func<string, bool>? IsValid { get; } = isValid;

    /// <summary>For <see cref="StrictKind.EnumCode"/>: the enum type.</summary>
    public Type? EnumType => ValueMapping.EnumType;

    /// <summary>For <see cref="StrictKind.Complex"/>: the value's own shape, built on first use (types nest recursively).</summary>
    public StrictShape Shape => _shape ??= StrictShape.For(ValueMapping);
}

/// <summary>
/// What a valid JSON object of one FHIR type may hold, taken from the SDK's own metadata
/// (<see cref="ModelInfo.ModelInspector"/>): each element's JSON names (a choice element has one per allowed type),
/// its cardinality and the kind of its value. Anything the metadata does not make certain (an element with a
/// validation attribute other than cardinality and allowed types, a contained resource, narrative, extensions, a
/// primitive type whose literal check is not exactly its <c>IsValidValue</c>) has no entry, so
/// <see cref="StrictResourceReader"/> declines any JSON that uses it.
/// </summary>
internal sealed class StrictShape
{
    private static readonly ConcurrentDictionary<ClassMapping, StrictShape> Shapes = new();
    private static readonly ConcurrentDictionary<string, StrictShape?> Resources = new(StringComparer.Ordinal);

    // String primitives whose ValidateObjectValue (Firely 6.8) is exactly "a string, and IsValidValue(string)".
    private static readonly Type[] TextTypes =
    [
        typeof(FhirString), typeof(Markdown), typeof(Id), typeof(Code), typeof(FhirUri), typeof(FhirUrl), typeof(Canonical),
        typeof(Oid), typeof(Uuid), typeof(Date), typeof(FhirDateTime), typeof(Instant), typeof(Time),
    ];

    // Types whose literals repeat (systems, codes): the SDK's verdict is remembered per literal.
    private static readonly Type[] Repeating = [typeof(Code), typeof(FhirUri), typeof(FhirUrl), typeof(Canonical), typeof(Oid), typeof(Uuid)];

    private static readonly Dictionary<Type, Func<string, bool>> TextChecks = TextTypes.ToDictionary(t => t, CheckOf);

    private readonly Dictionary<string, StrictMember> _members;
    private readonly Dictionary<string, StrictMember>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    private StrictShape(ClassMapping mapping)
    {
        var inspector = ModelInfo.ModelInspector;
        _members = new Dictionary<string, StrictMember>(StringComparer.Ordinal);
        var mandatory = new List<int>();
        var slot = 0;
        foreach (var property in mapping.PropertyMappings)
        {
            var index = slot++;
            var attributes = property.ValidationAttributes;
            var cardinality = attributes.OfType<CardinalityAttribute>().SingleOrDefault();
            var (min, max) = (cardinality?.Min ?? 0, cardinality?.Max ?? (property.IsCollection ? -1 : 1));
            if (min > 0 || property.IsMandatoryElement)
            {
                mandatory.Add(index);
            }

            if (attributes.Any(a => a is not CardinalityAttribute and not AllowedTypesAttribute) || property.IsPrimitive || (!property.IsCollection && max < 1))
            {
                continue; // not understood: no JSON name leads here, so its presence declines
            }

            var allowed = attributes.OfType<AllowedTypesAttribute>().ToList();
            bool Allowed(ClassMapping value) => allowed.All(a =>
                a.Types is { Length: > 0 } types ? types.Any(t => t.IsAssignableFrom(value.NativeType)) && !typeof(IDynamicType).IsAssignableFrom(value.NativeType)
                : a.TypeNames is { Length: > 0 } names ? names.Contains(value.Name, StringComparer.Ordinal)
                : !a.OpenChoice);

            void Add(string name, ClassMapping value)
            {
                if (Allowed(value))
                {
                    var (kind, check) = KindOf(value);
                    _members[name] = new StrictMember(index, property.IsCollection, min, max, kind, value, check);
                }
            }

            switch (property.Choice)
            {
                case ChoiceType.None:
                    var type = !property.ImplementingType.IsAbstract ? property.ImplementingType
                        : property.FhirType.Length == 1 ? property.FhirType[0]
                        : null;
                    if (type is not null && inspector.FindOrImportClassMapping(type) is { } single)
                    {
                        Add(property.Name, single);
                    }

                    break;
                case ChoiceType.DatatypeChoice:
                    foreach (var choice in property.FhirType)
                    {
                        // The JSON name is the element's name and the type's name, capitalised; only where the SDK's
                        // deserializer resolves that same suffix back to this very mapping.
                        if (inspector.FindOrImportClassMapping(choice) is { } value && value.Name.Length > 0)
                        {
                            var suffix = char.ToUpperInvariant(value.Name[0]) + value.Name[1..];
                            if (ReferenceEquals(inspector.FindClassMapping(suffix), value))
                            {
                                Add(property.Name + suffix, value);
                            }
                        }
                    }

                    break;
                default:
                    break; // a resource (contained): never read here
            }
        }

        SlotCount = slot;
        Mandatory = [.. mandatory];
        _lookup = _members.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>The number of elements (slots) of the type.</summary>
    public int SlotCount { get; }

    /// <summary>The slots that must be present (minimum cardinality above zero).</summary>
    public int[] Mandatory { get; }

    /// <summary>The JSON names this shape knows, for tests.</summary>
    public IReadOnlyCollection<string> Names => _members.Keys;

    /// <summary>The shape of a type.</summary>
    public static StrictShape For(ClassMapping mapping) => Shapes.GetOrAdd(mapping, m => new StrictShape(m));

    /// <summary>The shape of a resource type named exactly <paramref name="name"/>, or null when the strict reader does not read it.</summary>
    public static StrictShape? ForResource(string name) => Resources.GetOrAdd(name, n =>
        ModelInfo.ModelInspector.FindClassMapping(n) is { IsResource: true } m
        && string.Equals(m.Name, n, StringComparison.Ordinal)
        && n != "Bundle"
        && !m.NativeType.IsAbstract
        && !typeof(IDynamicType).IsAssignableFrom(m.NativeType)
        && typeof(Resource).IsAssignableFrom(m.NativeType)
            ? For(m)
            : null);

    /// <summary>
    /// The literal check of a string primitive type: its own <c>IsValidValue</c>, behind the quick recogniser for
    /// common date spellings (see <see cref="StrictDates"/>) or a bounded cache for types whose literals repeat.
    /// </summary>
    internal static Func<string, bool> CheckOf(Type type)
    {
        var sdk = type.GetMethod("IsValidValue", BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly, [typeof(string)])!
            .CreateDelegate<Func<string, bool>>();
        if (type == typeof(Date))
        {
            return s => StrictDates.Recognise(s, out _) == StrictDates.Shape.Date || sdk(s);
        }

        if (type == typeof(FhirDateTime))
        {
            return s => StrictDates.Recognise(s, out _) != StrictDates.Shape.Unrecognised || sdk(s);
        }

        if (type == typeof(Instant))
        {
            return s => StrictDates.Recognise(s, out _) == StrictDates.Shape.DateTime || sdk(s);
        }

        if (Repeating.Contains(type))
        {
            var verdicts = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
            var remembered = 0;
            return s =>
            {
                if (verdicts.TryGetValue(s, out var known))
                {
                    return known;
                }

                // A count of its own: ConcurrentDictionary.Count takes every lock of the dictionary, and once the cache
                // is full every literal seen once (a urn:uuid fullUrl) asked for it; that was 3% of a backfill's CPU.
                var valid = sdk(s);
                if (s.Length <= 256 && Volatile.Read(ref remembered) < 4096 && verdicts.TryAdd(s, valid))
                {
                    Interlocked.Increment(ref remembered);
                }

                return valid;
            };
        }

        return sdk;
    }

    /// <summary>
    /// The literal check of a string primitive type whose <c>ValidateObjectValue</c> is exactly "a string, and
    /// <c>IsValidValue(string)</c>" (shared, so its verdict caches serve every caller); null for any other type.
    /// </summary>
    internal static Func<string, bool>? TextCheck(Type type) => TextChecks.GetValueOrDefault(type);

    /// <summary>Finds the member a JSON property name (exact case) stands for.</summary>
    public bool TryFind(ReadOnlySpan<char> name, out StrictMember member) => _lookup.TryGetValue(name, out member!);

    private static (StrictKind Kind, Func<string, bool>? Check) KindOf(ClassMapping value)
    {
        var type = value.NativeType;
        if (value.IsResource || typeof(IDynamicType).IsAssignableFrom(type) || type.IsAbstract)
        {
            return (StrictKind.Unsupported, null);
        }

        if (value.IsFhirPrimitive)
        {
            var primitive = value.PrimitiveValueProperty?.ImplementingType;
            if (TextChecks.TryGetValue(type, out var check))
            {
                // A JSON string becomes the primitive's JsonValue as it is (whatever its Value's .NET type, e.g.
                // Instant's DateTimeOffset), and its ValidateObjectValue is this check.
                return (StrictKind.Text, check);
            }

            if (value.EnumType is not null && type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Code<>))
            {
                return (StrictKind.EnumCode, null);
            }

            return type == typeof(FhirBoolean) && primitive == typeof(bool) ? (StrictKind.Boolean, null)
                : type == typeof(Integer) && primitive == typeof(int) ? (StrictKind.Integer, null)
                : type == typeof(PositiveInt) && primitive == typeof(int) ? (StrictKind.PositiveInt, null)
                : type == typeof(UnsignedInt) && primitive == typeof(int) ? (StrictKind.UnsignedInt, null)
                : type == typeof(FhirDecimal) && primitive == typeof(decimal) ? (StrictKind.Decimal, null)
                : (StrictKind.Unsupported, null);
        }

        // Extensions (open choice of every type), narrative (XHTML) and other special cases stay with the SDK.
        if (type == typeof(Extension) || type == typeof(Narrative) || type == typeof(XHtml) || !typeof(Base).IsAssignableFrom(type) || value.IsPrimitive)
        {
            return (StrictKind.Unsupported, null);
        }

        return (StrictKind.Complex, null);
    }
}
