using System.CommandLine;
using System.Globalization;
using FhirBridge.Reporting;

namespace FhirBridge.Cli.Commands;

/// <summary><c>fhirbridge report --chart FILE</c>: the admin page's quality chart as an SVG file.</summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var chart = new Option<string>("--chart") { Description = "Write the quality chart (monthly unplanned return-to-theatre rate per cohort group) to FILE as SVG.", Required = true };
        var config = AdminState.ConfigOption();
        var command = new Command("report", "Reports from the state database: the quality chart.") { chart, config };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, cancellationToken) => CliError.GuardAsync(async () =>
        {
            var data = await AdminState.OpenAsync(parse, config, cancellationToken);
            var numbers = await data.ChartAsync(cancellationToken);
            var file = parse.GetValue(chart)!;
            await File.WriteAllTextAsync(file, QualityChartSvg.Render(numbers), cancellationToken);
            await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"chart written to {file}: {numbers.Months.Count} months, {numbers.Cohorts.Count} cohort groups, {numbers.Cells.Sum(c => c.Numerator)}/{numbers.Cells.Sum(c => c.Denominator)} unplanned returns over subjects with a known outcome"));
            return 0;
        }));
        return command;
    }
}
