using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using Hl7.Fhir.Utility;

namespace FhirBridge.Ingest;

/// <summary>
/// The fast path of INGEST for one JSON resource (an NDJSON line or a bare resource; never a Bundle): a strict
/// single pass over the UTF-8 bytes that proves the Firely path (<see cref="FhirInputReader"/>: its deserializer and
/// the SDK's <c>Validate</c>) would accept the resource with no issue, then the projection of
/// <see cref="StoredResourceReader"/> into the same <see cref="IngestResult"/>. What it checks comes from the SDK's own
/// metadata (see <see cref="StrictShape"/>): element names and choice suffixes, cardinality, and each primitive type's
/// own literal check. Anything it cannot prove (an unknown or duplicate property, a primitive extension
/// <c>_x</c>, an extension, contained resources, narrative, null, an empty object, array or string, padded text,
/// a number with an exponent, a <c>resourceType</c> that is not the first property, trailing content) makes it
/// decline, and the caller runs the Firely path unchanged, so every quarantine reason stays the Firely path's.
/// </summary>
public static class StrictResourceReader
{
    // Longer input is left to the Firely path (FhirString's limit is 1 MB of characters).
    private const int MaxChars = 1 << 20;

    // Throws on a lone surrogate instead of replacing it: such text is the Firely path's to judge.
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static readonly JsonReaderOptions Options = new() { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 64 };

    // Why this thread's last IsProvablyValid declined (for tests and coverage reports); set only when declining.
    [ThreadStatic]
    private static string? _declined;

    /// <summary>Why the last check on this thread declined: the JSON property it stopped at and the cause.</summary>
    internal static string? LastDecline => _declined;

    /// <summary>Reads one resource; false when the caller must use the Firely path instead.</summary>
    /// <param name="json">The resource's JSON text (one resource, not a Bundle).</param>
    /// <param name="origin">The origin to give the result.</param>
    /// <param name="result">The accepted result, exactly what the Firely path gives.</param>
    public static bool TryRead(string json, string origin, [NotNullWhen(true)] out IngestResult? result)
    {
        result = null;
        return json.Length <= MaxChars && IsProvablyValid(json) && StoredResourceReader.TryReadComplete(json, origin, out result);
    }

    /// <summary>True when the Firely path would deserialize and validate the resource with no issue (never a Bundle).</summary>
    /// <param name="json">The JSON text.</param>
    internal static bool IsProvablyValid(string json)
    {
        _declined = null;
        byte[]? rented = null;
        try
        {
            var max = Utf8.GetMaxByteCount(json.Length);
            rented = ArrayPool<byte>.Shared.Rent(max);
            var length = Utf8.GetBytes(json, rented);
            return IsProvablyValid(rented.AsSpan(0, length));
        }
        catch (Exception e) when (e is JsonException or EncoderFallbackException or InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            return Decline(e.GetType().Name);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static bool IsProvablyValid(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, Options);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject
            || !reader.Read() || reader.TokenType != JsonTokenType.PropertyName || reader.ValueIsEscaped || !reader.ValueTextEquals("resourceType"u8)
            || !reader.Read() || reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped || reader.ValueSpan.Length is 0 or > 64)
        {
            return Decline("not an object starting with a plain resourceType");
        }

        if (StrictShape.ForResource(Encoding.UTF8.GetString(reader.ValueSpan)) is not { } shape)
        {
            return Decline("resourceType: a type the fast path does not read");
        }

        if (!ReadObject(ref reader, shape, afterFirst: true))
        {
            return false;
        }

        // Nothing may follow the resource (the reader throws on anything but whitespace).
        return !reader.Read() || Decline("content after the resource");
    }

    private static bool Decline(string why)
    {
        _declined = why;
        return false;
    }

    private static bool Decline(ReadOnlySpan<char> property, string why) => Decline(property.ToString() + ": " + why);

    // Reads an object's properties up to and including its end; the reader is on its start (or, for the root, on
    // the value of resourceType, which the caller read). False as soon as anything cannot be proven.
    private static bool ReadObject(ref Utf8JsonReader reader, StrictShape shape, bool afterFirst = false)
    {
        Span<bool> seen = shape.SlotCount <= 256 ? stackalloc bool[shape.SlotCount] : new bool[shape.SlotCount];
        Span<char> buffer = stackalloc char[64];
        var empty = !afterFirst;
        while (true)
        {
            if (!reader.Read())
            {
                return Decline("truncated");
            }

            if (reader.TokenType == JsonTokenType.EndObject)
            {
                break;
            }

            // A property name: plain ASCII, exact case, known to the shape, not seen before.
            var bytes = reader.ValueSpan;
            if (reader.TokenType != JsonTokenType.PropertyName || reader.ValueIsEscaped || bytes.Length is 0 or > 64)
            {
                return Decline("an escaped, empty or long property name");
            }

            for (var i = 0; i < bytes.Length; i++)
            {
                if (bytes[i] >= 0x80)
                {
                    return Decline("a property name that is not ASCII");
                }

                buffer[i] = (char)bytes[i];
            }

            var name = buffer[..bytes.Length];
            if (!shape.TryFind(name, out var member))
            {
                return Decline(name, "not an element the fast path reads");
            }

            if (seen[member.Slot])
            {
                return Decline(name, "duplicate");
            }

            seen[member.Slot] = true;
            empty = false;
            if (!reader.Read())
            {
                return Decline("truncated");
            }

            if (member.IsCollection)
            {
                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    return Decline(name, "not an array");
                }

                var count = 0;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (!ReadValue(ref reader, member))
                    {
                        return _declined is null ? Decline(name, "an item is not " + member.Kind) : false;
                    }

                    count++;
                }

                if (reader.TokenType != JsonTokenType.EndArray || count == 0 || count < member.Min || (member.Max >= 0 && count > member.Max))
                {
                    return Decline(name, "empty or outside its cardinality");
                }
            }
            else if (!ReadValue(ref reader, member))
            {
                return _declined is null ? Decline(name, "not a valid " + member.Kind + " " + member.ValueMapping.Name) : false;
            }
        }

        if (empty)
        {
            return Decline("an empty object");
        }

        foreach (var slot in shape.Mandatory)
        {
            if (!seen[slot])
            {
                return Decline("a mandatory element is missing");
            }
        }

        return true;
    }

    // Reads one value (an array's item, or a single element's value); the reader is on its first token and ends on its last.
    private static bool ReadValue(ref Utf8JsonReader reader, StrictMember member)
    {
        switch (member.Kind)
        {
            case StrictKind.Complex:
                return reader.TokenType == JsonTokenType.StartObject && ReadObject(ref reader, member.Shape);
            case StrictKind.Text:
                return reader.TokenType == JsonTokenType.String && Text(ref reader) is { } text && member.IsValid!(text);
            case StrictKind.EnumCode:
                return reader.TokenType == JsonTokenType.String && Text(ref reader) is { } code
                    && EnumUtility.ParseLiteral(code, member.EnumType!) is { } parsed && string.Equals(parsed.GetLiteral(), code, StringComparison.Ordinal);
            case StrictKind.Boolean:
                return reader.TokenType is JsonTokenType.True or JsonTokenType.False;
            case StrictKind.Integer:
            case StrictKind.PositiveInt:
            case StrictKind.UnsignedInt:
                return reader.TokenType == JsonTokenType.Number && IsPlainNumber(reader.ValueSpan, fraction: false) && reader.TryGetInt32(out var n)
                    && (member.Kind == StrictKind.Integer || n > 0 || (member.Kind == StrictKind.UnsignedInt && n == 0));
            case StrictKind.Decimal:
                return reader.TokenType == JsonTokenType.Number && IsPlainNumber(reader.ValueSpan, fraction: true) && reader.TryGetDecimal(out _);
            default:
                return false;
        }
    }

    // A string's text when it is not empty and neither starts nor ends with white space; else null.
    private static string? Text(ref Utf8JsonReader reader)
    {
        var text = reader.ValueIsEscaped ? reader.GetString() : Encoding.UTF8.GetString(reader.ValueSpan);
        return text is { Length: > 0 } && !char.IsWhiteSpace(text[0]) && !char.IsWhiteSpace(text[^1]) ? text : null;
    }

    // -?(0|[1-9][0-9]*)(\.[0-9]+)? with at most 20 characters: no exponent, no leading zeros, no leading plus.
    private static bool IsPlainNumber(ReadOnlySpan<byte> raw, bool fraction)
    {
        if (raw.Length is 0 or > 20)
        {
            return false;
        }

        var i = raw[0] == (byte)'-' ? 1 : 0;
        if (i >= raw.Length || !char.IsAsciiDigit((char)raw[i]) || (raw[i] == (byte)'0' && i + 1 < raw.Length && raw[i + 1] != (byte)'.'))
        {
            return false;
        }

        while (i < raw.Length && char.IsAsciiDigit((char)raw[i]))
        {
            i++;
        }

        if (i == raw.Length)
        {
            return true;
        }

        if (!fraction || raw[i] != (byte)'.' || i + 1 == raw.Length)
        {
            return false;
        }

        for (i++; i < raw.Length; i++)
        {
            if (!char.IsAsciiDigit((char)raw[i]))
            {
                return false;
            }
        }

        return true;
    }
}
