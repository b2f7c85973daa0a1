using FhirBridge.Timeline;
using NodaTime;

namespace FhirBridge.Detection;

/// <summary>
/// Local dates for one index operation (spec, "Data handling: Time"): in the source's configured zone, else at the
/// offset written in the index operation's own timestamp; every other timestamp is converted to that zone first.
/// An index written as a date only, with no zone configured, leaves each timestamp at the offset it was written with.
/// </summary>
public sealed class LocalCalendar
{
    private LocalCalendar(DateTimeZone? zone) => Zone = zone;

    /// <summary>The zone local dates are taken in; null when neither a zone nor an index offset is known.</summary>
    public DateTimeZone? Zone { get; }

    /// <summary>The calendar for an index operation.</summary>
    public static LocalCalendar ForIndex(ClinicalTime indexStart, DateTimeZone? sourceZone) =>
        new(sourceZone ?? (indexStart.Timestamp is { } t ? DateTimeZone.ForOffset(t.Offset) : null));

    /// <summary>The local date of a time as written.</summary>
    public LocalDate DateOf(ClinicalTime time) => time.LocalDateIn(Zone);

    /// <summary>The local date of the as-of time.</summary>
    public LocalDate DateOf(OffsetDateTime time) => Zone is null ? time.Date : time.ToInstant().InZone(Zone).Date;

    /// <summary>Calendar days from <paramref name="from"/> to <paramref name="to"/> (day 0 is the same local date).</summary>
    public static int DaysBetween(LocalDate from, LocalDate to) => Period.Between(from, to, PeriodUnits.Days).Days;
}
