using System.Globalization;
using NodaTime;

namespace FhirBridge.Timeline;

/// <summary>How much of a FHIR date or dateTime the source wrote.</summary>
public enum TimePrecision
{
    /// <summary><c>2024</c>.</summary>
    Year,

    /// <summary><c>2024-03</c>.</summary>
    Month,

    /// <summary><c>2024-03-01</c>.</summary>
    Day,

    /// <summary><c>2024-03-01T09:00:00+08:00</c>: a time of day with its offset.</summary>
    Instant,
}

/// <summary>
/// A FHIR date or dateTime as written: an instant with its offset, or a (possibly partial) local date.
/// Local dates are taken in one zone per source (spec, "Data handling: Time"): the configured zone, else the offset
/// written in the index operation's own timestamp; a date-only value is that local date, starting at 00:00.
/// </summary>
public sealed record ClinicalTime
{
    private ClinicalTime(OffsetDateTime? timestamp, LocalDate date, TimePrecision precision)
    {
        Timestamp = timestamp;
        Date = date;
        Precision = precision;
    }

    /// <summary>The instant and the offset the source wrote, when it wrote a time of day.</summary>
    public OffsetDateTime? Timestamp { get; }

    /// <summary>The date as written (for a timestamp: its date at its own offset; for a partial date: its first day).</summary>
    public LocalDate Date { get; }

    /// <summary>How much the source wrote.</summary>
    public TimePrecision Precision { get; }

    /// <summary>Creates a time from an instant at an offset.</summary>
    public static ClinicalTime At(OffsetDateTime timestamp) => new(timestamp, timestamp.Date, TimePrecision.Instant);

    /// <summary>Creates a date-only time.</summary>
    public static ClinicalTime OnDate(LocalDate date) => new(null, date, TimePrecision.Day);

    /// <summary>Parses a FHIR <c>date</c>, <c>dateTime</c> or <c>instant</c> literal.</summary>
    /// <returns>The time, or null when the literal is empty or not a valid FHIR date/time.</returns>
    public static ClinicalTime? Parse(string? literal)
    {
        if (string.IsNullOrWhiteSpace(literal))
        {
            return null;
        }

        var s = literal.Trim();
        switch (s.Length)
        {
            case 4 when int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var y) && y >= 1:
                return new ClinicalTime(null, new LocalDate(y, 1, 1), TimePrecision.Year);
            case 7 when DateTime.TryParseExact(s, "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.None, out var ym):
                return new ClinicalTime(null, new LocalDate(ym.Year, ym.Month, 1), TimePrecision.Month);
            case 10 when DateTime.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d):
                return new ClinicalTime(null, LocalDate.FromDateTime(d), TimePrecision.Day);
        }

        // A time of day always carries an offset in FHIR; without one the literal is invalid and we refuse to guess.
        if (s.Length > 19 && (s.EndsWith('Z') || s[^6] is '+' or '-')
            && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.None, out var dto))
        {
            return At(OffsetDateTime.FromDateTimeOffset(dto));
        }

        return null;
    }

    /// <summary>The local date in <paramref name="zone"/>; with no zone, the date at the offset the source wrote.</summary>
    public LocalDate LocalDateIn(DateTimeZone? zone) =>
        Timestamp is { } t ? (zone is null ? t.Date : t.ToInstant().InZone(zone).Date) : Date;

    /// <summary>The instant; a date-only value is 00:00 of that date in <paramref name="zone"/>.</summary>
    public Instant ToInstant(DateTimeZone zone) =>
        Timestamp?.ToInstant() ?? Date.AtStartOfDayInZone(zone).ToInstant();

    /// <summary>
    /// The instant as the end of a period: FHIR Period semantics, where an end written as a date includes that whole
    /// date (an end of <c>2024-03-01</c> means until 00:00 on 2 March in <paramref name="zone"/>).
    /// </summary>
    public Instant ToEndInstant(DateTimeZone zone)
    {
        if (Timestamp is { } t)
        {
            return t.ToInstant();
        }

        var next = Precision switch
        {
            TimePrecision.Year => Date.PlusYears(1),
            TimePrecision.Month => Date.PlusMonths(1),
            _ => Date.PlusDays(1),
        };
        return next.AtStartOfDayInZone(zone).ToInstant();
    }

    /// <summary>ISO 8601 in <paramref name="zone"/> (offset included), or the date for a date-only value.</summary>
    public string Format(DateTimeZone? zone)
    {
        if (Timestamp is not { } t)
        {
            return Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        }

        var shown = zone is null ? t : t.ToInstant().InZone(zone).ToOffsetDateTime();
        return shown.ToString("uuuu-MM-dd'T'HH:mm:sso<+HH:mm>", CultureInfo.InvariantCulture);
    }

    /// <inheritdoc />
    public override string ToString() => Format(null);
}
