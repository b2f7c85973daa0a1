using System.Buffers;
using System.Data.Common;
using System.IO.Compression;
using System.Text;

namespace FhirBridge.Storage.Sqlite;

/// <summary>
/// The registry JSON the SQLite store keeps (each change set's Bundle in the outbox, each record in the projection),
/// stored as zlib-compressed UTF-8 in a BLOB. That JSON is most of a state file's bytes (at 70,000 patients 2.5 of
/// 3.3 GB) and compresses about five-fold, so every commit writes, and every checkpoint copies, a fifth of the pages
/// (docs/benchmarks.md). PostgreSQL compresses large values itself (TOAST), so its store keeps text.
/// </summary>
/// <remarks>
/// A row written as TEXT, by a build before this format, reads as it is: the format is told by the value's type, so
/// no migration rewrites a large state file. SQL that reads inside the JSON unpacks it with the <c>unpack</c>
/// function every connection of this store has (<see cref="Register"/>).
/// </remarks>
internal static class PackedText
{
    /// <summary>The SQL function that gives a packed value's text (and a TEXT value as it is).</summary>
    public const string UnpackFunction = "unpack";

    /// <summary>The text as stored: its UTF-8 bytes, compressed.</summary>
    public static byte[] Pack(string text)
    {
        var utf8 = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(text.Length));
        try
        {
            var length = Encoding.UTF8.GetBytes(text, utf8);
            using var packed = new MemoryStream(length / 4 + 64);
            using (var zlib = new ZLibStream(packed, CompressionLevel.Fastest, leaveOpen: true))
            {
                zlib.Write(utf8, 0, length);
            }

            return packed.ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(utf8);
        }
    }

    /// <summary>The text of a column that <see cref="Pack"/> wrote, or of one that holds TEXT.</summary>
    public static string Read(DbDataReader reader, int ordinal) =>
        reader.GetFieldType(ordinal) == typeof(byte[]) ? Unpack(reader.GetFieldValue<byte[]>(ordinal)) : reader.GetString(ordinal);

    /// <summary>The text <see cref="Pack"/> stored.</summary>
    /// <exception cref="InvalidDataException">The bytes are not what <see cref="Pack"/> writes.</exception>
    public static string Unpack(byte[] packed)
    {
        using var zlib = new ZLibStream(new MemoryStream(packed, writable: false), CompressionMode.Decompress);
        var buffer = ArrayPool<byte>.Shared.Rent(packed.Length * 8 + 256);
        try
        {
            var length = 0;
            int read;
            while ((read = zlib.Read(buffer, length, buffer.Length - length)) > 0)
            {
                length += read;
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
            }

            return Encoding.UTF8.GetString(buffer, 0, length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Gives the connection the <c>unpack(value)</c> SQL function.</summary>
    public static void Register(Microsoft.Data.Sqlite.SqliteConnection connection) =>
        connection.CreateFunction<object?, string?>(
            UnpackFunction,
            value => value switch
            {
                null or DBNull => null,
                byte[] packed => Unpack(packed),
                _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture),
            },
            isDeterministic: true);
}
