namespace FhirBridge.Ingest;

/// <summary>
/// A quick recogniser for the common, unambiguous spellings of FHIR date, dateTime and instant literals:
/// <c>YYYY</c>, <c>YYYY-MM</c>, <c>YYYY-MM-DD</c> and <c>YYYY-MM-DDThh:mm:ss[.f{1,7}](Z|±hh:mm)</c>, with years
/// 1000-9998, real calendar days, hours 00-23, seconds 00-59 and offsets up to ±13:59. It only ever says "valid" for
/// literals the SDK's own checks (<c>Date</c>, <c>FhirDateTime</c>, <c>Instant</c> <c>IsValidValue</c>) accept, and
/// gives the same <see cref="DateTimeOffset"/> as the SDK's parse; anything else is "not recognised", and the caller
/// asks the SDK (tests compare both over generated literals).
/// </summary>
internal static class StrictDates
{
    /// <summary>The precision of a recognised literal.</summary>
    internal enum Shape
    {
        /// <summary>Not one of the recognised spellings: ask the SDK.</summary>
        Unrecognised,

        /// <summary>YYYY, YYYY-MM or YYYY-MM-DD, without offset.</summary>
        Date,

        /// <summary>A full date and time to the second (or finer) with an offset.</summary>
        DateTime,
    }

    /// <summary>Recognises a literal; for a <see cref="Shape.DateTime"/>, also its value with its own offset.</summary>
    public static Shape Recognise(ReadOnlySpan<char> s, out DateTimeOffset value)
    {
        value = default;
        if (s.Length < 4 || !Digits(s, 0, 4, out var year) || year is < 1000 or > 9998)
        {
            return Shape.Unrecognised;
        }

        if (s.Length == 4)
        {
            return Shape.Date;
        }

        if (s.Length < 7 || s[4] != '-' || !Digits(s, 5, 2, out var month) || month is < 1 or > 12)
        {
            return Shape.Unrecognised;
        }

        if (s.Length == 7)
        {
            return Shape.Date;
        }

        if (s.Length < 10 || s[7] != '-' || !Digits(s, 8, 2, out var day) || day < 1 || day > System.DateTime.DaysInMonth(year, month))
        {
            return Shape.Unrecognised;
        }

        if (s.Length == 10)
        {
            return Shape.Date;
        }

        // Thh:mm:ss
        if (s.Length < 20 || s[10] != 'T' || !Digits(s, 11, 2, out var hour) || hour > 23 || s[13] != ':'
            || !Digits(s, 14, 2, out var minute) || minute > 59 || s[16] != ':' || !Digits(s, 17, 2, out var second) || second > 59)
        {
            return Shape.Unrecognised;
        }

        var i = 19;
        long ticks = 0;
        if (s[i] == '.')
        {
            var start = ++i;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }

            var digits = i - start;
            if (digits is < 1 or > 7)
            {
                return Shape.Unrecognised;
            }

            Digits(s, start, digits, out var fraction);
            ticks = fraction;
            for (var d = digits; d < 7; d++)
            {
                ticks *= 10;
            }
        }

        TimeSpan offset;
        if (i == s.Length - 1 && s[i] == 'Z')
        {
            offset = TimeSpan.Zero;
        }
        else if (i == s.Length - 6 && s[i] is '+' or '-' && Digits(s, i + 1, 2, out var oh) && oh <= 13 && s[i + 3] == ':' && Digits(s, i + 4, 2, out var om) && om <= 59)
        {
            offset = new TimeSpan(oh, om, 0);
            if (s[i] == '-')
            {
                offset = -offset;
            }
        }
        else
        {
            return Shape.Unrecognised;
        }

        value = new DateTimeOffset(year, month, day, hour, minute, second, offset).AddTicks(ticks);
        return Shape.DateTime;
    }

    private static bool Digits(ReadOnlySpan<char> s, int start, int count, out int value)
    {
        value = 0;
        if (start + count > s.Length)
        {
            return false;
        }

        for (var i = start; i < start + count; i++)
        {
            if (!char.IsAsciiDigit(s[i]))
            {
                return false;
            }

            value = (value * 10) + (s[i] - '0');
        }

        return true;
    }
}
