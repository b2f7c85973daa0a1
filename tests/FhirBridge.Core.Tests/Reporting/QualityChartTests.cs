using System.Xml.Linq;
using FhirBridge.Detection;
using FhirBridge.Reporting;

namespace FhirBridge.Tests.Reporting;

/// <summary>The quality chart's definition: per index month and cohort group, unplanned returns over subjects with a known outcome.</summary>
public sealed class QualityChartTests
{
    private static QualitySubject S(string cohort, string start, string? outcome) => new(cohort, start, outcome);

    [Fact]
    public void Compute_OpenWindows_AreInNeitherNumeratorNorDenominator()
    {
        var data = QualityChart.Compute(
        [
            S("degenerative", "2024-03-05T09:00:00+08:00", Outcome.UnplannedReturn),
            S("degenerative", "2024-03-06T09:00:00+08:00", Outcome.NoReturn),
            S("degenerative", "2024-03-07T09:00:00+08:00", Outcome.NoReturn),
            S("degenerative", "2024-03-28T09:00:00+08:00", Outcome.FollowUpOpen),
        ]);

        var cell = data.Cell("2024-03", "degenerative");
        Assert.Equal((1, 3, 1), (cell.Numerator, cell.Denominator, cell.Open));
        Assert.Equal(1.0 / 3, cell.Rate);
    }

    [Fact]
    public void Compute_MonthIsTheLocalIndexDate_NotUtc()
    {
        // 23:30 on 31 March in Beijing is 15:30 UTC the same day; 00:10 on 1 April in Beijing is still 31 March in UTC.
        var data = QualityChart.Compute(
        [
            S("tumor", "2024-03-31T23:30:00+08:00", Outcome.NoReturn),
            S("tumor", "2024-04-01T00:10:00+08:00", Outcome.UnplannedReturn),
        ]);

        Assert.Equal(["2024-03", "2024-04"], data.Months);
        Assert.Equal((0, 1), (data.Cell("2024-03", "tumor").Numerator, data.Cell("2024-03", "tumor").Denominator));
        Assert.Equal((1, 1), (data.Cell("2024-04", "tumor").Numerator, data.Cell("2024-04", "tumor").Denominator));
    }

    [Fact]
    public void Compute_EmptyMonthsBetween_AreKeptWithNoRate()
    {
        var data = QualityChart.Compute(
        [
            S("fracture", "2023-11-30T10:00:00+08:00", Outcome.NoReturn),
            S("deformity", "2024-02-01T10:00:00+08:00", Outcome.NoReturn),
        ]);

        Assert.Equal(["2023-11", "2023-12", "2024-01", "2024-02"], data.Months);
        Assert.Equal(["deformity", "fracture"], data.Cohorts);
        Assert.Null(data.Cell("2023-12", "fracture").Rate);
        Assert.Null(data.Cell("2023-11", "deformity").Rate);
        Assert.Equal(0.0, data.Cell("2023-11", "fracture").Rate);
        Assert.Equal(8, data.Cells.Count);
    }

    [Fact]
    public void Compute_CohortsInTheStudysOrder_UnclassifiedLast()
    {
        var data = QualityChart.Compute(
        [
            S("unclassified", "2024-01-01T10:00:00Z", Outcome.NoReturn),
            S("tumor", "2024-01-01T10:00:00Z", Outcome.NoReturn),
            S("degenerative", "2024-01-01T10:00:00Z", Outcome.NoReturn),
        ]);

        Assert.Equal(["degenerative", "tumor", "unclassified"], data.Cohorts);
    }

    [Fact]
    public void Compute_NoSubjects_IsEmpty_AndDrawsAMessage()
    {
        var data = QualityChart.Compute([]);

        Assert.Empty(data.Months);
        Assert.Contains("No registry subjects yet.", QualityChartSvg.Render(data), StringComparison.Ordinal);
    }

    [Fact]
    public void Render_OneBarPerMeasuredCell_WithNumeratorAndDenominatorInItsTitle()
    {
        var data = QualityChart.Compute(
        [
            S("degenerative", "2024-03-05T09:00:00+08:00", Outcome.UnplannedReturn),
            S("degenerative", "2024-03-06T09:00:00+08:00", Outcome.NoReturn),
            S("tumor", "2024-05-06T09:00:00+08:00", Outcome.NoReturn),
            S("tumor", "2024-05-07T09:00:00+08:00", Outcome.FollowUpOpen),
        ]);

        var svg = XDocument.Parse(QualityChartSvg.Render(data));
        XNamespace ns = "http://www.w3.org/2000/svg";
        var bars = svg.Descendants(ns + "rect").Where(r => (string?)r.Attribute("class") == "bar").ToList();

        // Measured: degenerative 2024-03 and tumor 2024-05; April has nobody, so no bar.
        Assert.Equal(2, bars.Count);
        Assert.Equal("degenerative 2024-03: 1/2 = 50.0%", bars[0].Element(ns + "title")!.Value);
        Assert.Equal("tumor 2024-05: 0/1 = 0.0% (1 still in follow-up, not counted)", bars[1].Element(ns + "title")!.Value);
        Assert.True(double.Parse(bars[0].Attribute("height")!.Value, System.Globalization.CultureInfo.InvariantCulture) > 100);
    }

    [Fact]
    public void Render_EncodesCohortNames()
    {
        var svg = QualityChartSvg.Render(QualityChart.Compute([S("<script>", "2024-01-01T00:00:00Z", Outcome.NoReturn)]));

        Assert.DoesNotContain("<script>", svg, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", svg, StringComparison.Ordinal);
    }
}
