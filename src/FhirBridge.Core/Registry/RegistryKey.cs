using System.Security.Cryptography;
using System.Text;

namespace FhirBridge.Registry;

/// <summary>
/// A registry resource's identity: its type and business identifier (system and value). A Provenance, which has no
/// identifier in R4, is identified by its id alone (empty system): it is written with <c>PUT Provenance/id</c>.
/// </summary>
public sealed record RegistryKey(string Type, string System, string Value)
{
    /// <summary>The key of a Provenance written at a client-chosen, deterministic id.</summary>
    public static RegistryKey ById(string type, string id) => new(type, string.Empty, id);

    /// <summary>A deterministic <c>urn:uuid</c> from the key, the same in every transaction and run.</summary>
    public string FullUrl => "urn:uuid:" + new Guid(SHA256.HashData(Encoding.UTF8.GetBytes(ToString())).AsSpan(0, 16));

    /// <summary>The conditional-update URL <c>Type?identifier=system|value</c>, or <c>Type/id</c> for a key by id.</summary>
    public string RequestUrl => System.Length == 0
        ? $"{Type}/{Value}"
        : $"{Type}?identifier={Uri.EscapeDataString(System)}|{Uri.EscapeDataString(Value)}";

    /// <summary>Parses the text form <c>Type|system|value</c>.</summary>
    public static RegistryKey Parse(string text)
    {
        var first = text.IndexOf('|', StringComparison.Ordinal);
        var last = text.LastIndexOf('|');
        return new RegistryKey(text[..first], text[(first + 1)..last], text[(last + 1)..]);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Type}|{System}|{Value}";
}
