using System.Globalization;
using System.Text.RegularExpressions;

namespace FhirBridge.TestServer.Search;

/// <summary>
/// FHIR date, dateTime and instant literals as search values: each stands for the range its precision covers
/// (https://hl7.org/fhir/R4/search.html#date). Without a time zone, the server's zone is UTC.
/// </summary>
internal static partial class FhirDates
{
    public static bool TryParseRange(string text, out DateTimeOffset low, out DateTimeOffset high)
    {
        low = high = default;
        var m = DatePattern().Match(text);
        if (!m.Success)
        {
            return false;
        }

        try
        {
            var offset = TimeSpan.Zero;
            if (m.Groups["tz"].Success && m.Groups["tz"].Value != "Z")
            {
                var tz = m.Groups["tz"].Value;
                offset = new TimeSpan(Int(tz[1..3]), Int(tz[4..6]), 0);
                if (tz[0] == '-')
                {
                    offset = -offset;
                }
            }

            int year = Int(m.Groups["y"].Value);
            int month = m.Groups["mo"].Success ? Int(m.Groups["mo"].Value) : 1;
            int day = m.Groups["d"].Success ? Int(m.Groups["d"].Value) : 1;
            int hour = m.Groups["h"].Success ? Int(m.Groups["h"].Value) : 0;
            int minute = m.Groups["mi"].Success ? Int(m.Groups["mi"].Value) : 0;
            int second = m.Groups["s"].Success ? Int(m.Groups["s"].Value) : 0;
            low = new DateTimeOffset(year, month, day, hour, minute, second, offset);
            if (m.Groups["f"].Success)
            {
                var digits = m.Groups["f"].Value;
                var kept = digits.Length > 7 ? digits[..7] : digits;
                low = low.AddTicks(long.Parse(kept.PadRight(7, '0'), CultureInfo.InvariantCulture));
                high = low.AddTicks((long)Math.Pow(10, 7 - kept.Length));
            }
            else if (m.Groups["s"].Success)
            {
                high = low.AddSeconds(1);
            }
            else if (m.Groups["mi"].Success)
            {
                high = low.AddMinutes(1);
            }
            else if (m.Groups["d"].Success)
            {
                high = low.AddDays(1);
            }
            else if (m.Groups["mo"].Success)
            {
                high = low.AddMonths(1);
            }
            else
            {
                high = low.AddYears(1);
            }

            return true;
        }
        catch (ArgumentOutOfRangeException)
        {
            return false;
        }
    }

    /// <summary>A FHIR instant: a full time to the second with a zone (Bulk Data <c>_since</c>).</summary>
    public static bool TryParseInstant(string text, out DateTimeOffset instant)
    {
        instant = default;
        var m = DatePattern().Match(text);
        return m.Success && m.Groups["s"].Success && m.Groups["tz"].Success && TryParseRange(text, out instant, out _);
    }

    private static int Int(string digits) => int.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^(?<y>[0-9]{4})(-(?<mo>[0-9]{2})(-(?<d>[0-9]{2})(T(?<h>[0-9]{2}):(?<mi>[0-9]{2})(:(?<s>[0-9]{2})(\.(?<f>[0-9]{1,9}))?)?(?<tz>Z|[+-][0-9]{2}:[0-9]{2})?)?)?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex DatePattern();
}
