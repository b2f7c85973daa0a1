using System.Globalization;
using FhirBridge.Detection;
using FhirBridge.Reporting;

namespace FhirBridge.Cli.Commands;

/// <summary>The few lines a person reads after a run: subjects per cohort group, outcomes, both rates, exclusions by reason.</summary>
internal static class ReportSummary
{
    public static void Write(TextWriter output, DetectionReport report)
    {
        var ci = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(ci, $"subjects   {report.Subjects.Count} index operations of {report.Subjects.Select(s => s.Patient).Distinct().Count()} patients"));
        foreach (var group in report.Subjects.GroupBy(s => s.Cohort).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var returns = group.Count(s => s.Outcome == Outcome.UnplannedReturn);
            var closed = group.Count(s => s.Outcome != Outcome.FollowUpOpen);
            output.WriteLine(string.Create(ci, $"  {group.Key,-13} {group.Count(),6} subjects, {returns,4} unplanned returns, {group.Count(s => s.Outcome == Outcome.FollowUpOpen),4} follow-up open, rate {Percent(returns, closed)}"));
        }

        var totalReturns = report.Subjects.Count(s => s.Outcome == Outcome.UnplannedReturn);
        var totalClosed = report.Subjects.Count(s => s.Outcome != Outcome.FollowUpOpen);
        output.WriteLine(string.Create(ci, $"outcome    unplanned-return {totalReturns}, no-return {report.Subjects.Count(s => s.Outcome == Outcome.NoReturn)}, follow-up-open {report.Subjects.Count - totalClosed}"));

        // Both rates, as the spec asks ("Unit of analysis"): per index operation, and per patient with a closed window.
        var closedPatients = report.Subjects.Where(s => s.Outcome != Outcome.FollowUpOpen).GroupBy(s => s.Patient).ToList();
        var returnedPatients = closedPatients.Count(g => g.Any(s => s.Outcome == Outcome.UnplannedReturn));
        output.WriteLine(string.Create(ci, $"rate       per operation {Percent(totalReturns, totalClosed)} ({totalReturns}/{totalClosed}), per patient {Percent(returnedPatients, closedPatients.Count)} ({returnedPatients}/{closedPatients.Count})"));
        var excluded = report.Excluded.GroupBy(e => (e.Index is null ? "index " : "return ") + e.Reason).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}").ToList();
        output.WriteLine(string.Create(ci, $"excluded   {(excluded.Count == 0 ? "none" : string.Join(", ", excluded))}"));
    }

    private static string Percent(int part, int whole) =>
        whole == 0 ? "-" : (100.0 * part / whole).ToString("0.00", CultureInfo.InvariantCulture) + "%";
}
