using System.Globalization;
using CsCheck;
using FhirBridge.Ingest;
using Hl7.Fhir.Model;
using SdkDateTime = Hl7.Fhir.ElementModel.Types.DateTime;

namespace FhirBridge.Tests.Ingest;

/// <summary>
/// The quick date recogniser says "valid" only for literals the SDK's own checks accept, with the SDK's value and
/// offset: over generated literals with every component in and out of range, other separators, fractions of any
/// length, offsets up to ±15:60, and cut at every precision.
/// </summary>
public class StrictDatesTests
{
    [Fact]
    public void Recognise_GeneratedLiterals_OnlyWhatTheSdkAcceptsWithItsValue()
    {
        var (recognised, total) = (0, 0);
        var literal = Gen.Select(
            Gen.Select(Gen.Int[0, 10000], Gen.Int[0, 13], Gen.Int[0, 32], Gen.Int[0, 25]),
            Gen.Select(Gen.Int[0, 61], Gen.Int[0, 61], Gen.Int[0, 10], Gen.Int[0, 16]),
            Gen.Select(Gen.Int[0, 61], Gen.Int[0, 5], Gen.Int[0, 9], Gen.Int[0, 40]),
            (a, b, c) => Literal(a.Item1, a.Item2, a.Item3, a.Item4, b.Item1, b.Item2, b.Item3, b.Item4, c.Item1, c.Item2, c.Item3, c.Item4));

        literal.Sample(
            s =>
            {
                total++;
                var shape = StrictDates.Recognise(s, out var value);
                if (shape == StrictDates.Shape.Unrecognised)
                {
                    return;
                }

                recognised++;
                Assert.True(FhirDateTime.IsValidValue(s), s);
                if (shape == StrictDates.Shape.Date)
                {
                    Assert.True(Date.IsValidValue(s), s);
                    Assert.False(Instant.IsValidValue(s), s);
                }
                else
                {
                    Assert.True(Instant.IsValidValue(s), s);
                    Assert.False(Date.IsValidValue(s), s);
                    var sdk = SdkDateTime.Parse(s).ToDateTimeOffset(TimeSpan.Zero);
                    Assert.Equal((sdk.Ticks, sdk.Offset), (value.Ticks, value.Offset));
                }
            },
            seed: "0000000000D7",
            iter: 40000,
            threads: 1);

        Assert.True(recognised > total / 5, $"{recognised} of {total} recognised");
    }

    // Mostly well-formed literals with components anywhere in and around their ranges, cut at a precision, and now
    // and then one character changed.
    private static string Literal(int year, int month, int day, int hour, int minute, int second, int digits, int offsetHour, int offsetMinute, int precision, int sign, int corrupt)
    {
        var fraction = digits == 0 ? string.Empty : "." + string.Concat(Enumerable.Range(0, digits).Select(i => (char)('0' + ((year + (i * 7)) % 10))));
        var offset = sign switch
        {
            0 => "Z",
            1 => "z",
            2 or 3 or 4 => "+",
            5 or 6 or 7 => "-",
            _ => string.Empty,
        };
        if (offset is "+" or "-")
        {
            offset += string.Create(CultureInfo.InvariantCulture, $"{offsetHour % 16:00}:{offsetMinute:00}");
        }

        var full = string.Create(CultureInfo.InvariantCulture, $"{year:0000}-{month:00}-{day:00}T{hour:00}:{minute:00}:{second:00}{fraction}{offset}");
        var text = precision switch
        {
            0 => full[..4],
            1 => full[..7],
            2 => full[..10],
            3 => full[..10] + offset,
            4 => full[..16] + offset,
            _ => full,
        };
        if (corrupt < text.Length && corrupt % 3 == 0)
        {
            text = text[..corrupt] + "-T:.0 9Z+"[corrupt % 9] + text[(corrupt + 1)..];
        }

        return text;
    }
}
