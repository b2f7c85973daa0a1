using System.Globalization;
using FhirBridge.Detection;

namespace FhirBridge.Reporting;

/// <summary>
/// The quality chart: the monthly unplanned return-to-theatre rate per cohort group.
/// <para>
/// Definition (docs/admin.md, "Quality chart"). A subject counts in the month of its index operation's local start
/// date. Numerator: subjects whose outcome is <c>unplanned-return</c>. Denominator: subjects whose outcome is known,
/// <c>unplanned-return</c> or <c>no-return</c> (the window closed without one); <c>follow-up-open</c> subjects are in
/// neither, since they may still return. This is the spec's operation-based rate (one subject per index operation:
/// spec "Unit of analysis" and "Outcome of a subject, as of a time", ../shared/spec/unplanned-return-to-theatre.md),
/// the same the run summary prints, split by month and cohort group.
/// </para>
/// </summary>
public static class QualityChart
{
    /// <summary>The cohort groups in the order the study lists them, then <c>unclassified</c>.</summary>
    public static IReadOnlyList<string> StudyCohorts => CohortOrder;

    private static readonly string[] CohortOrder = [.. new StudyDefinition().CohortGroups.Select(g => g.Name), CohortGroup.Unclassified];

    /// <summary>Computes the chart's cells.</summary>
    /// <exception cref="FormatException">An index start is not an ISO 8601 date-time.</exception>
    public static QualityChartData Compute(IEnumerable<QualitySubject> subjects)
    {
        ArgumentNullException.ThrowIfNull(subjects);
        var byMonth = subjects.Select(s => (Month: IndexMonth(s.IndexStart), Subject: s)).ToList();
        if (byMonth.Count == 0)
        {
            return new QualityChartData([], [], []);
        }

        var cohorts = byMonth.Select(s => s.Subject.Cohort).Distinct(StringComparer.Ordinal)
            .OrderBy(c => Array.IndexOf(CohortOrder, c) is >= 0 and var rank ? rank : int.MaxValue)
            .ThenBy(c => c, StringComparer.Ordinal)
            .ToList();
        var months = new List<string>();
        var first = byMonth.Min(s => s.Month);
        var last = byMonth.Max(s => s.Month);
        for (var m = first; m <= last; m = m.AddMonths(1))
        {
            months.Add(Format(m));
        }

        var cells = new List<QualityChartCell>(months.Count * cohorts.Count);
        var lookup = byMonth.ToLookup(s => (Format(s.Month), s.Subject.Cohort));
        foreach (var month in months)
        {
            foreach (var cohort in cohorts)
            {
                var here = lookup[(month, cohort)].Select(s => s.Subject.Outcome).ToList();
                var returned = here.Count(o => o == Outcome.UnplannedReturn);
                var closed = here.Count(o => o == Outcome.NoReturn);
                cells.Add(new QualityChartCell(month, cohort, returned, returned + closed, here.Count(o => o == Outcome.FollowUpOpen)));
            }
        }

        return new QualityChartData(months, cohorts, cells);
    }

    /// <summary>The first day of the index month, in the offset the start was written in (the source's local calendar).</summary>
    private static DateOnly IndexMonth(string indexStart)
    {
        var start = DateTimeOffset.Parse(indexStart, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

        // DateTimeOffset keeps the written offset, so Year and Month are the local ones, not UTC's.
        return new DateOnly(start.Year, start.Month, 1);
    }

    private static string Format(DateOnly month) => month.ToString("yyyy-MM", CultureInfo.InvariantCulture);
}
