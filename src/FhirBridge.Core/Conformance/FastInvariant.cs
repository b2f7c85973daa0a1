using System.Globalization;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;

namespace FhirBridge.Conformance;

/// <summary>
/// A small evaluator for the FHIRPath the profiles' invariants use (paths, <c>ofType</c>, <c>where</c>, <c>all</c>,
/// <c>exists</c>, <c>empty</c>, <c>count</c>, <c>isDistinct</c>, <c>startsWith</c>, <c>matches</c>, <c>=</c>,
/// <c>and</c>, <c>or</c>, string and integer literals) that only ever answers "holds" when it is sure the SDK's engine
/// would too, and otherwise "ask the engine". So a result never comes from here alone unless it is the common one (the
/// invariant holds), and every failing or doubtful instance is still judged, and reported, by the engine.
/// </summary>
/// <remarks>
/// Sure means: every step it took is one whose meaning here is the engine's for that input (children by name as
/// <see cref="PocoNode.Child"/> gives them, as the engine navigates; equality of single strings, integers or
/// booleans; the three-valued <c>and</c>/<c>or</c>). Anything else (several items where one is expected, a primitive
/// without a value, a value that is not a string, a non-ASCII or multi-line string a culture or regex option could
/// read differently) makes it give up. Expressions outside the subset are not compiled here at all (<see cref="TryCompile"/>
/// returns null) and always go to the engine. Test: FastInvariantTests runs both on every instance the validator checks
/// over the reference corpus and its mutations; ValidatorReferenceTests and TransactionValidationTests are unchanged.
/// </remarks>
internal sealed class FastInvariant
{
    private readonly Node _root;

    private FastInvariant(Node root) => _root = root;

    /// <summary>The evaluator for <paramref name="expression"/>, or null when it uses anything outside the subset.</summary>
    public static FastInvariant? TryCompile(string expression)
    {
        try
        {
            var parser = new Parser(expression);
            var root = parser.ParseExpression();
            return parser.AtEnd ? new FastInvariant(root) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>True when the invariant surely holds on <paramref name="node"/>; false when the engine must decide.</summary>
    public bool SurelyHolds(PocoNode node) => Holds(_root.Evaluate(new Value([node])));

    /// <summary>
    /// The same on the POCO itself, navigated as <see cref="PocoNode.Child"/> navigates it (<see cref="Base.TryGetValue"/>)
    /// without making a node per element: true when the invariant surely holds on the PocoNode of <paramref name="instance"/>.
    /// A list with a null item, which a PocoNode would carry on, is left to the engine.
    /// </summary>
    public bool SurelyHolds(Base instance) => Holds(_root.Evaluate(new Value([instance])));

    private static bool Holds(Value result) => result.Kind == Kind.Items && result.Items.Count == 1 && result.Items[0] is true;

    private enum Kind
    {
        Unknown,
        Items,
    }

    /// <summary>A collection (of PocoNodes, strings, integers, booleans), or unknown: the engine must decide.</summary>
    private readonly record struct Value(Kind Kind, IReadOnlyList<object> Items)
    {
        public Value(IReadOnlyList<object> items)
            : this(Kind.Items, items)
        {
        }

        public static Value Unknown => new(Kind.Unknown, []);

        public static Value Empty => new(Kind.Items, []);

        // The booleans every test ends in, boxed once: the hot path (the invariant holds) allocates none.
        private static readonly object[] TrueItems = [true];
        private static readonly object[] FalseItems = [false];

        public static Value Of(object item) => new(Kind.Items, [item]);

        public static Value Of(bool b) => new(Kind.Items, b ? TrueItems : FalseItems);

        public bool IsUnknown => Kind == Kind.Unknown;

        /// <summary>A definite boolean operand of and/or: true, false, or null for empty; Unknown for anything else.</summary>
        public (bool Known, bool? Bool) AsLogic() => IsUnknown ? (false, null)
            : Items.Count == 0 ? (true, null)
            : Items is [bool b] ? (true, b)
            : (false, null);
    }

    private abstract class Node
    {
        public abstract Value Evaluate(Value focus);
    }

    private sealed class Literal(object value) : Node
    {
        private readonly object[] _items = [value];

        public override Value Evaluate(Value focus) => new(_items);
    }

    private sealed class Member(Node? input, string name) : Node
    {
        public override Value Evaluate(Value focus)
        {
            var source = input is null ? focus : input.Evaluate(focus);
            if (source.IsUnknown)
            {
                return source;
            }

            // Most steps find nothing: the list is made for the first item.
            List<object>? items = null;
            foreach (var item in source.Items)
            {
                if (item is PocoNode node)
                {
                    if (node.Child(name) is { } children)
                    {
                        (items ??= []).AddRange(children);
                    }
                }
                else if (item is not Base instance || !AddChildren(instance, ref items))
                {
                    return Value.Unknown;
                }
            }

            return items is null ? Value.Empty : new Value(items);
        }

        // The children PocoNode.Child(name) would give, as POCOs; false (unknown) for a null item or a value it would refuse.
        private bool AddChildren(Base instance, ref List<object>? items)
        {
            if (!instance.TryGetValue(name, out var value))
            {
                return true;
            }

            if (value is Base single)
            {
                (items ??= []).Add(single);
                return true;
            }

            if (value is not IReadOnlyList<Base> list)
            {
                return false;
            }

            for (var i = 0; i < list.Count; i++)
            {
                if (list[i] is not { } child)
                {
                    return false;
                }

                (items ??= new List<object>(list.Count)).Add(child);
            }

            return true;
        }
    }

    private sealed class OfType(Node? input, Type type) : Node
    {
        public override Value Evaluate(Value focus)
        {
            var source = input is null ? focus : input.Evaluate(focus);
            if (source.IsUnknown)
            {
                return source;
            }

            var items = new List<object>();
            foreach (var item in source.Items)
            {
                Base? instance;
                if (item is PocoNode node)
                {
                    instance = node.Poco;
                }
                else if (item is Base poco)
                {
                    instance = poco;
                }
                else
                {
                    return Value.Unknown; // not an element
                }

                if (type.IsInstanceOfType(instance))
                {
                    items.Add(item);
                }
            }

            return new Value(items);
        }
    }

    private sealed class Filter(Node? input, Node criteria, bool all) : Node
    {
        public override Value Evaluate(Value focus)
        {
            var source = input is null ? focus : input.Evaluate(focus);
            if (source.IsUnknown)
            {
                return source;
            }

            var kept = new List<object>();
            var every = true;
            var one = new object[1]; // each item's focus in turn: the criteria's result is read before the next
            foreach (var item in source.Items)
            {
                one[0] = item;
                var (known, holds) = criteria.Evaluate(new Value(one)).AsLogic();
                if (!known)
                {
                    return Value.Unknown;
                }

                if (holds == true)
                {
                    kept.Add(item);
                }
                else
                {
                    every = false;
                }
            }

            // all() is only ever answered true here: its false (an item the criteria is empty or false for) is the engine's.
            return !all ? new Value(kept) : every ? Value.Of(true) : Value.Unknown;
        }
    }

    private sealed class Aggregate(Node? input, string function) : Node
    {
        public override Value Evaluate(Value focus)
        {
            var source = input is null ? focus : input.Evaluate(focus);
            if (source.IsUnknown)
            {
                return source;
            }

            switch (function)
            {
                case "exists":
                    return Value.Of(source.Items.Count > 0);
                case "empty":
                    return Value.Of(source.Items.Count == 0);
                case "count":
                    return Value.Of(source.Items.Count);
                default: // isDistinct, of strings only (ordinal, as the engine compares them)
                    if (source.Items.Count == 0)
                    {
                        return Value.Unknown;
                    }

                    var seen = new HashSet<string>(StringComparer.Ordinal);
                    foreach (var item in source.Items)
                    {
                        if (StringOf(item) is not { } text)
                        {
                            return Value.Unknown;
                        }

                        if (!seen.Add(text))
                        {
                            return Value.Of(false);
                        }
                    }

                    return Value.Of(true);
            }
        }
    }

    private sealed class StringTest(Node? input, string argument, Regex? regex) : Node
    {
        public override Value Evaluate(Value focus)
        {
            var source = input is null ? focus : input.Evaluate(focus);
            if (source.IsUnknown || source.Items.Count > 1)
            {
                return Value.Unknown;
            }

            if (source.Items.Count == 0)
            {
                return Value.Empty;
            }

            // Printable ASCII on one line: no culture, regex option or line anchor can read it two ways.
            if (StringOf(source.Items[0]) is not { } text || !IsPlainAscii(text))
            {
                return Value.Unknown;
            }

            return Value.Of(regex is null ? text.StartsWith(argument, StringComparison.Ordinal) : regex.IsMatch(text));
        }
    }

    private sealed class Equality(Node left, Node right) : Node
    {
        public override Value Evaluate(Value focus)
        {
            var l = left.Evaluate(focus);
            var r = right.Evaluate(focus);
            if (l.IsUnknown || r.IsUnknown || l.Items.Count > 1 || r.Items.Count > 1)
            {
                return Value.Unknown;
            }

            if (l.Items.Count == 0 || r.Items.Count == 0)
            {
                return Value.Empty;
            }

            return (Scalar(l.Items[0]), Scalar(r.Items[0])) switch
            {
                (string a, string b) => Value.Of(string.Equals(a, b, StringComparison.Ordinal)),
                (int a, int b) => Value.Of(a == b),
                (bool a, bool b) => Value.Of(a == b),
                _ => Value.Unknown,
            };
        }

        private static object? Scalar(object item) => item is int or bool ? item : StringOf(item);
    }

    private sealed class Logic(Node left, Node right, bool isAnd) : Node
    {
        public override Value Evaluate(Value focus)
        {
            var (lKnown, l) = left.Evaluate(focus).AsLogic();
            if (!lKnown)
            {
                return Value.Unknown;
            }

            // The engine does not look at the right side of an or whose left side is true (an error there is ignored).
            if (!isAnd && l == true)
            {
                return Value.Of(true);
            }

            var (rKnown, r) = right.Evaluate(focus).AsLogic();
            if (!rKnown)
            {
                return Value.Unknown;
            }

            bool? result = isAnd
                ? (l == false || r == false ? false : l == true && r == true ? true : null)
                : (r == true ? true : l == false && r == false ? false : null);
            return result is { } b ? Value.Of(b) : Value.Empty;
        }
    }

    // The string a FHIR string-like primitive (string, code, id, uri, canonical, markdown) or a literal stands for; null otherwise.
    private static string? StringOf(object item) => item switch
    {
        string s => s,
        PocoNode node => StringOf(node.Poco),
        FhirString or Code or Id or FhirUri or Canonical or Markdown or FhirUrl => ((PrimitiveType)item).JsonValue as string,
        PrimitiveType primitive when primitive.GetType().IsGenericType && primitive.GetType().GetGenericTypeDefinition() == typeof(Code<>) => primitive.JsonValue as string,
        _ => null,
    };

    private static bool IsPlainAscii(string text)
    {
        foreach (var c in text)
        {
            if (c < ' ' || c > '~')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Recursive descent over the subset; anything else throws <see cref="FormatException"/> (not compiled here).</summary>
    private sealed class Parser(string text)
    {
        private int _at;

        public bool AtEnd
        {
            get
            {
                SkipSpace();
                return _at == text.Length;
            }
        }

        public Node ParseExpression()
        {
            var left = ParseAnd();
            while (TryKeyword("or"))
            {
                left = new Logic(left, ParseAnd(), isAnd: false);
            }

            return left;
        }

        private Node ParseAnd()
        {
            var left = ParseEquality();
            while (TryKeyword("and"))
            {
                left = new Logic(left, ParseEquality(), isAnd: true);
            }

            return left;
        }

        private Node ParseEquality()
        {
            var left = ParseTerm();
            SkipSpace();
            if (_at < text.Length && text[_at] == '=')
            {
                _at++;
                return new Equality(left, ParseTerm());
            }

            if (_at < text.Length && text[_at] is '!' or '<' or '>' or '~' or '|' or '+' or '-' or '*' or '/' or '&')
            {
                throw new FormatException("operator outside the subset");
            }

            return left;
        }

        private Node ParseTerm()
        {
            SkipSpace();
            Node? node;
            if (Peek('('))
            {
                _at++;
                node = ParseExpression();
                Expect(')');
            }
            else if (Peek('\''))
            {
                node = new Literal(ParseString());
            }
            else if (_at < text.Length && char.IsAsciiDigit(text[_at]))
            {
                var start = _at;
                while (_at < text.Length && char.IsAsciiDigit(text[_at]))
                {
                    _at++;
                }

                if (Peek('.'))
                {
                    throw new FormatException("decimals are outside the subset");
                }

                node = new Literal(int.Parse(text.AsSpan(start, _at - start), CultureInfo.InvariantCulture));
            }
            else
            {
                node = ParseInvocation(null);
            }

            while (Peek('.'))
            {
                _at++;
                node = ParseInvocation(node);
            }

            return node;
        }

        private Node ParseInvocation(Node? input)
        {
            var name = ParseIdentifier();
            SkipSpace();
            if (!Peek('('))
            {
                // An upper-case name could be a type test (Patient.name): outside the subset.
                return char.IsAsciiLetterLower(name[0]) && name is not ("and" or "or" or "true" or "false")
                    ? new Member(input, name)
                    : throw new FormatException("not an element name");
            }

            _at++;
            Node result;
            switch (name)
            {
                case "exists" or "empty" or "count" or "isDistinct":
                    result = new Aggregate(input, name);
                    break;
                case "where" or "all":
                    result = new Filter(input, ParseExpression(), all: name == "all");
                    break;
                case "ofType":
                    var typeName = ParseIdentifier();
                    if (Peek('.'))
                    {
                        // FHIR.Reference
                        _at++;
                        typeName = typeName == "FHIR" ? ParseIdentifier() : throw new FormatException("only FHIR types");
                    }

                    var mapping = ModelInfo.ModelInspector.FindClassMapping(typeName);
                    result = mapping is { IsPrimitive: false } && mapping.Name == typeName && char.IsAsciiLetterUpper(typeName[0])
                        && !typeof(PrimitiveType).IsAssignableFrom(mapping.NativeType)
                        ? new OfType(input, mapping.NativeType)
                        : throw new FormatException("only complex FHIR types");
                    break;
                case "startsWith":
                    SkipSpace();
                    result = new StringTest(input, ParseString(), null);
                    break;
                case "matches":
                    SkipSpace();
                    var pattern = ParseString();
                    result = new StringTest(input, pattern, new Regex(pattern, RegexOptions.CultureInvariant));
                    break;
                default:
                    throw new FormatException("function outside the subset");
            }

            Expect(')');
            return result;
        }

        private string ParseIdentifier()
        {
            SkipSpace();
            if (Peek('`'))
            {
                var end = text.IndexOf('`', _at + 1);
                var quoted = end > _at + 1 ? text[(_at + 1)..end] : throw new FormatException("unterminated name");
                _at = end + 1;
                return quoted;
            }

            var start = _at;
            while (_at < text.Length && (char.IsAsciiLetterOrDigit(text[_at]) || text[_at] == '_'))
            {
                _at++;
            }

            return _at > start && char.IsAsciiLetter(text[start]) ? text[start.._at] : throw new FormatException("name expected");
        }

        private string ParseString()
        {
            Expect('\'');
            var start = _at;
            while (_at < text.Length && text[_at] != '\'')
            {
                if (text[_at] == '\\')
                {
                    throw new FormatException("escapes are outside the subset");
                }

                _at++;
            }

            var value = _at < text.Length ? text[start.._at] : throw new FormatException("unterminated string");
            _at++;
            return value;
        }

        private bool TryKeyword(string keyword)
        {
            SkipSpace();
            var end = _at + keyword.Length;
            if (end < text.Length && string.CompareOrdinal(text, _at, keyword, 0, keyword.Length) == 0 && !char.IsAsciiLetterOrDigit(text[end]))
            {
                _at = end;
                return true;
            }

            return false;
        }

        private bool Peek(char c)
        {
            SkipSpace();
            return _at < text.Length && text[_at] == c;
        }

        private void Expect(char c)
        {
            if (!Peek(c))
            {
                throw new FormatException($"{c} expected");
            }

            _at++;
        }

        private void SkipSpace()
        {
            while (_at < text.Length && char.IsWhiteSpace(text[_at]))
            {
                _at++;
            }
        }
    }
}
