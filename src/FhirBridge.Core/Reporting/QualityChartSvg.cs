using System.Globalization;
using System.Net;
using System.Text;

namespace FhirBridge.Reporting;

/// <summary>
/// Draws the quality chart as a standalone SVG: per month one bar per cohort group, the bar's height its rate, and
/// each bar's <c>&lt;title&gt;</c> (the tooltip) giving numerator, denominator and rate. A group with no known outcome
/// in a month has no bar (no rate, which is not a rate of 0). Server-side, so the page needs no script.
/// </summary>
public static class QualityChartSvg
{
    private const int Left = 56, Right = 16, Top = 40, Bottom = 64, PlotHeight = 260, BarWidth = 9, MonthGap = 10;

    // Distinguishable for colour-blind readers (Okabe-Ito), in the study's cohort order.
    private static readonly string[] Palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];

    /// <summary>The SVG document.</summary>
    public static string Render(QualityChartData data, string title = "Unplanned return to theatre within the window, by index month and cohort group")
    {
        ArgumentNullException.ThrowIfNull(data);
        var ci = CultureInfo.InvariantCulture;
        var groupWidth = Math.Max(1, data.Cohorts.Count) * BarWidth + MonthGap;
        var width = Left + Right + Math.Max(1, data.Months.Count) * groupWidth + 160;
        var height = Top + PlotHeight + Bottom;
        var svg = new StringBuilder();
        svg.Append(ci, $"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"quality-chart\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{E(title)}\">");
        svg.Append(ci, $"<title>{E(title)}</title>");
        svg.Append("<style>text{font-family:sans-serif;font-size:11px;fill:#222}.axis{stroke:#444}.grid{stroke:#ddd}</style>");
        svg.Append(ci, $"<text x=\"{Left}\" y=\"20\" style=\"font-size:13px;font-weight:bold\">{E(title)}</text>");

        if (data.Months.Count == 0)
        {
            svg.Append(ci, $"<text class=\"empty\" x=\"{Left}\" y=\"{Top + PlotHeight / 2}\">No registry subjects yet.</text></svg>");
            return svg.ToString();
        }

        // The y axis runs to the next 5% above the highest rate (at least 5%), so small rates stay readable.
        var highest = data.Cells.Max(c => c.Rate ?? 0);
        var top = Math.Max(0.05, Math.Ceiling(highest * 20) / 20);
        double Y(double rate) => Top + PlotHeight - (rate / top * PlotHeight);
        var plotRight = Left + data.Months.Count * groupWidth;
        for (var tick = 0; tick <= 5; tick++)
        {
            var rate = top * tick / 5;
            var y = Y(rate);
            svg.Append(ci, $"<line class=\"grid\" x1=\"{Left}\" x2=\"{plotRight}\" y1=\"{y:0.#}\" y2=\"{y:0.#}\"/>");
            svg.Append(ci, $"<text x=\"{Left - 6}\" y=\"{y + 4:0.#}\" text-anchor=\"end\">{rate * 100:0.#}%</text>");
        }

        svg.Append(ci, $"<line class=\"axis\" x1=\"{Left}\" x2=\"{Left}\" y1=\"{Top}\" y2=\"{Top + PlotHeight}\"/>");
        svg.Append(ci, $"<line class=\"axis\" x1=\"{Left}\" x2=\"{plotRight}\" y1=\"{Top + PlotHeight}\" y2=\"{Top + PlotHeight}\"/>");

        // Label every month when there is room, else every third or every twelfth.
        var every = data.Months.Count <= 24 ? 1 : data.Months.Count <= 72 ? 3 : 12;
        for (var m = 0; m < data.Months.Count; m++)
        {
            var month = data.Months[m];
            var x0 = Left + m * groupWidth + MonthGap / 2;
            for (var g = 0; g < data.Cohorts.Count; g++)
            {
                var cell = data.Cell(month, data.Cohorts[g]);
                if (cell.Rate is not { } rate)
                {
                    continue;
                }

                // A rate of 0 still gets a 1-pixel bar, so "measured, none returned" differs from "nothing measured".
                var y = Math.Min(Y(rate), Top + PlotHeight - 1);
                svg.Append(ci, $"<rect class=\"bar\" data-cohort=\"{E(cell.Cohort)}\" data-month=\"{month}\" x=\"{x0 + g * BarWidth}\" y=\"{y:0.##}\" width=\"{BarWidth - 1}\" height=\"{Top + PlotHeight - y:0.##}\" fill=\"{Palette[g % Palette.Length]}\">");
                svg.Append(ci, $"<title>{E(cell.Cohort)} {month}: {cell.Numerator}/{cell.Denominator} = {rate * 100:0.0}%{(cell.Open > 0 ? $" ({cell.Open} still in follow-up, not counted)" : "")}</title></rect>");
            }

            if (m % every == 0)
            {
                var cx = x0 + data.Cohorts.Count * BarWidth / 2.0;
                svg.Append(ci, $"<text x=\"{cx:0.#}\" y=\"{Top + PlotHeight + 12}\" text-anchor=\"end\" transform=\"rotate(-45 {cx:0.#} {Top + PlotHeight + 12})\">{month}</text>");
            }
        }

        for (var g = 0; g < data.Cohorts.Count; g++)
        {
            var y = Top + g * 18;
            svg.Append(ci, $"<rect class=\"legend\" x=\"{plotRight + 16}\" y=\"{y}\" width=\"12\" height=\"12\" fill=\"{Palette[g % Palette.Length]}\"/>");
            svg.Append(ci, $"<text x=\"{plotRight + 34}\" y=\"{y + 10}\">{E(data.Cohorts[g])}</text>");
        }

        svg.Append("</svg>");
        return svg.ToString();
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
