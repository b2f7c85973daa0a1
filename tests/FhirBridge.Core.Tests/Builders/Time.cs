using FhirBridge.Timeline;
using NodaTime;
using NodaTime.Text;

namespace FhirBridge.Tests.Builders;

/// <summary>Parsing helpers for literals written the way FHIR writes them.</summary>
public static class Time
{
    /// <summary>A FHIR date or dateTime literal as a <see cref="ClinicalTime"/>.</summary>
    public static ClinicalTime Clinical(string literal) =>
        ClinicalTime.Parse(literal) ?? throw new ArgumentException($"not a FHIR date/dateTime: '{literal}'", nameof(literal));

    /// <summary>An ISO 8601 timestamp with its offset (<c>Z</c> or <c>+08:00</c>).</summary>
    public static OffsetDateTime Offset(string literal) => OffsetDateTimePattern.ExtendedIso.Parse(literal).GetValueOrThrow();

    /// <summary>A calendar date (<c>2024-03-01</c>).</summary>
    public static LocalDate Date(string literal) => LocalDatePattern.Iso.Parse(literal).GetValueOrThrow();

    /// <summary>A tz database zone.</summary>
    public static DateTimeZone Zone(string id) => DateTimeZoneProviders.Tzdb[id];
}
