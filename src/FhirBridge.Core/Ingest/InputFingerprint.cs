using System.Security.Cryptography;
using System.Text;

namespace FhirBridge.Ingest;

/// <summary>
/// What identifies a quarantined input by its content: the SHA-256 of its text as read (UTF-8), as 64 lower-case hex
/// digits. An origin alone does not identify it: a REST origin (<c>Procedure?page=1#entry[0]</c>) or an export's
/// <c>file:line</c> names another resource in every run. The hash is of hospital input, so it is kept only in the
/// hospital's own state store: never logged, never in the mapping log, never sent to the registry.
/// </summary>
public static class InputFingerprint
{
    /// <summary>The fingerprint of an input's text.</summary>
    /// <param name="text">The input exactly as read: an NDJSON line, a file's text, a resource's JSON.</param>
    public static string Of(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
