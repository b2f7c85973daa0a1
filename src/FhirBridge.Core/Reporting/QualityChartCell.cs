namespace FhirBridge.Reporting;

/// <summary>One cohort group in one index month.</summary>
/// <param name="Month">The index month, <c>yyyy-MM</c> (local to the source).</param>
/// <param name="Cohort">The cohort group.</param>
/// <param name="Numerator">Subjects with an unplanned return to theatre.</param>
/// <param name="Denominator">Subjects whose outcome is known: an unplanned return, or a closed window without one.</param>
/// <param name="Open">Subjects whose window is still open without a return: left out of both.</param>
public sealed record QualityChartCell(string Month, string Cohort, int Numerator, int Denominator, int Open)
{
    /// <summary>Numerator over denominator, or null when the denominator is 0 (no rate, not a rate of 0).</summary>
    public double? Rate => Denominator == 0 ? null : (double)Numerator / Denominator;
}
