using System.Globalization;
using NodaTime;
using NodaTime.Text;

namespace FhirBridge.Cli.Commands;

/// <summary>Parses the time options every command that decides by time shares (--as-of, --time-zone).</summary>
internal static class CliTime
{
    /// <summary>An IANA zone from NodaTime's own copy of the tz database, so the machine's zone files cannot change a result.</summary>
    public static DateTimeZone? Zone(string? id) =>
        id is null ? null : DateTimeZoneProviders.Tzdb.GetZoneOrNull(id) ?? throw new CliError($"--time-zone: '{id}' is not an IANA time zone (e.g. Asia/Shanghai)");

    /// <summary>
    /// The as-of time: an ISO 8601 date-time with offset, or a date (00:00 in the zone, else UTC); default now, from
    /// <paramref name="clock"/> (time is an input).
    /// </summary>
    public static OffsetDateTime AsOf(string? text, DateTimeZone? zone, TimeProvider clock)
    {
        if (text is null)
        {
            var now = Instant.FromDateTimeOffset(clock.GetUtcNow());
            return zone is null ? now.WithOffset(Offset.Zero) : now.InZone(zone).ToOffsetDateTime();
        }

        var full = OffsetDateTimePattern.ExtendedIso.Parse(text);
        if (full.Success)
        {
            return full.Value;
        }

        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            var local = LocalDate.FromDateOnly(date);
            return (zone is null ? local.AtStartOfDayInZone(DateTimeZone.Utc) : local.AtStartOfDayInZone(zone)).ToOffsetDateTime();
        }

        throw new CliError($"--as-of: '{text}' is not an ISO 8601 date-time with offset (e.g. 2024-12-31T00:00:00+08:00) or a date");
    }

    /// <summary>An optional yyyy-MM-dd date option.</summary>
    public static LocalDate? Date(string? text, string option) =>
        text is null ? null
        : LocalDatePattern.Iso.Parse(text) is { Success: true } r ? r.Value
        : throw new CliError($"{option}: '{text}' is not a date (yyyy-MM-dd)");
}
