using System.Security.Cryptography;

namespace FhirBridge.Registry;

/// <summary>
/// A registry resource's identity: its type and business identifier (system and value). A Provenance, which has no
/// identifier in R4, is identified by its id alone (empty system): it is written with <c>PUT Provenance/id</c>.
/// </summary>
/// <remarks>
/// A key is immutable, so its text forms are made once, on first use: every record of a subject links to the same
/// Patient, ResearchStudy and ResearchSubject keys, and the reconcile stage reads each key several times. Equality is
/// the type and identifier alone, never those cached texts.
/// </remarks>
public sealed record RegistryKey(string Type, string System, string Value)
{
    private const string UrnUuid = "urn:uuid:";

    // Filled on first use; a race only computes the same text twice.
    private string? _text;
    private string? _fullUrl;
    private string? _requestUrl;

    // A copy made with 'with' gets its own texts, not those of the key it was copied from.
    private RegistryKey(RegistryKey original)
    {
        Type = original.Type;
        System = original.System;
        Value = original.Value;
    }

    /// <summary>The key of a Provenance written at a client-chosen, deterministic id.</summary>
    public static RegistryKey ById(string type, string id) => new(type, string.Empty, id);

    /// <summary>A deterministic <c>urn:uuid</c> from the key, the same in every transaction and run.</summary>
    public string FullUrl => _fullUrl ??= MakeFullUrl(ToString());

    /// <summary>The conditional-update URL <c>Type?identifier=system|value</c>, or <c>Type/id</c> for a key by id.</summary>
    public string RequestUrl => _requestUrl ??= System.Length == 0
        ? $"{Type}/{Value}"
        : $"{Type}?identifier={Uri.EscapeDataString(System)}|{Uri.EscapeDataString(Value)}";

    /// <summary>Parses the text form <c>Type|system|value</c>.</summary>
    public static RegistryKey Parse(string text)
    {
        var first = text.IndexOf('|', StringComparison.Ordinal);
        var last = text.LastIndexOf('|');

        // The type and value hold no '|', so the text form of the key is the text parsed.
        return new RegistryKey(text[..first], text[(first + 1)..last], text[(last + 1)..]) { _text = text };
    }

    /// <inheritdoc />
    public override string ToString() => _text ??= $"{Type}|{System}|{Value}";

    /// <inheritdoc />
    public bool Equals(RegistryKey? other) =>
        ReferenceEquals(this, other) || (other is not null && Type == other.Type && System == other.System && Value == other.Value);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Type, System, Value);

    // The first 16 bytes of the SHA-256 of the key's text as a GUID.
    private static string MakeFullUrl(string text)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        Utf8Scratch.Sha256(text, hash);
        var uuid = new Guid(hash[..16]);
        return string.Create(UrnUuid.Length + 36, uuid, static (span, uuid) =>
        {
            UrnUuid.CopyTo(span);
            uuid.TryFormat(span[UrnUuid.Length..], out _);
        });
    }
}
