using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace FhirBridge.Registry;

/// <summary>
/// The UTF-8 text a pseudonym, key or Provenance id is hashed from, written into a buffer kept per thread: the hashes
/// are made for every record of every patient, on several recompute workers at once, and the text itself is never
/// needed as a string. The bytes are those of <c>Encoding.UTF8.GetBytes</c> of the whole text: the parts callers join
/// are always separated by an ASCII character, so no surrogate pair is split between two of them.
/// </summary>
internal sealed class Utf8Scratch : IDisposable
{
    // A buffer grown past this by one huge text is left to the collector rather than kept by its thread.
    private const int MaxKept = 64 * 1024;

    [ThreadStatic]
    private static Utf8Scratch? t_free;

    private byte[] _bytes = new byte[1024];
    private int _length;

    private Utf8Scratch()
    {
    }

    /// <summary>The bytes written so far.</summary>
    public ReadOnlySpan<byte> Written => _bytes.AsSpan(0, _length);

    /// <summary>An empty buffer for this thread (a new one when this thread's is in use); dispose it to give it back.</summary>
    public static Utf8Scratch Rent()
    {
        var scratch = t_free ?? new Utf8Scratch();
        t_free = null;
        scratch._length = 0;
        return scratch;
    }

    /// <summary>The SHA-256 of the UTF-8 of <paramref name="text"/>.</summary>
    public static void Sha256(string text, Span<byte> hash)
    {
        using var scratch = Rent();
        SHA256.HashData(scratch.Append(text).Written, hash);
    }

    /// <summary>Appends the UTF-8 of <paramref name="text"/>.</summary>
    public Utf8Scratch Append(string text) => Append(text.AsSpan());

    /// <summary>Appends the UTF-8 of <paramref name="text"/>.</summary>
    public Utf8Scratch Append(ReadOnlySpan<char> text)
    {
        Reserve(Encoding.UTF8.GetMaxByteCount(text.Length));
        _length += Encoding.UTF8.GetBytes(text, _bytes.AsSpan(_length));
        return this;
    }

    /// <summary>Appends one ASCII character.</summary>
    public Utf8Scratch Append(char ascii)
    {
        Reserve(1);
        _bytes[_length++] = (byte)ascii;
        return this;
    }

    /// <summary>Appends bytes that are UTF-8 already.</summary>
    public Utf8Scratch Append(ReadOnlySpan<byte> utf8)
    {
        Reserve(utf8.Length);
        utf8.CopyTo(_bytes.AsSpan(_length));
        _length += utf8.Length;
        return this;
    }

    /// <summary>Appends a number as <c>StringBuilder.Append(long)</c> writes it with <paramref name="culture"/>.</summary>
    public Utf8Scratch Append(long number, CultureInfo culture)
    {
        Span<char> digits = stackalloc char[32];
        number.TryFormat(digits, out var written, default, culture);
        return Append(digits[..written]);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_bytes.Length <= MaxKept)
        {
            t_free = this;
        }
    }

    private void Reserve(int more)
    {
        if (_length + more > _bytes.Length)
        {
            Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _length + more));
        }
    }
}
