namespace FhirBridge.Reporting;

/// <summary>The quality chart's numbers: every month from the first to the last index month, every cohort group present.</summary>
/// <param name="Months">Each month, <c>yyyy-MM</c>, in order, months without subjects included.</param>
/// <param name="Cohorts">The cohort groups, in the study's order, then any other in name order.</param>
/// <param name="Cells">One cell per month and group, month-major.</param>
public sealed record QualityChartData(IReadOnlyList<string> Months, IReadOnlyList<string> Cohorts, IReadOnlyList<QualityChartCell> Cells)
{
    /// <summary>The cell of a month and group.</summary>
    public QualityChartCell Cell(string month, string cohort) =>
        Cells.First(c => c.Month == month && c.Cohort == cohort);
}
