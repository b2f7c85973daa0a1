using System.Globalization;
using System.Text;
using FhirBridge.MappingLog;
using FhirBridge.Reporting;
using FhirBridge.Storage;
using static FhirBridge.Cli.Web.Admin.AdminHtml;

namespace FhirBridge.Cli.Web.Admin;

/// <summary>The bodies of the admin pages.</summary>
internal static class AdminPages
{
    private static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    public static string Time(DateTimeOffset? time) => time?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", Ci) ?? "-";

    public static string Lag(TimeSpan? lag) => lag is not { } l ? "-"
        : l.TotalMinutes < 1 ? string.Create(Ci, $"{l.TotalSeconds:0} s")
        : l.TotalHours < 1 ? string.Create(Ci, $"{l.TotalMinutes:0} min")
        : l.TotalDays < 2 ? string.Create(Ci, $"{l.TotalHours:0.#} h")
        : string.Create(Ci, $"{l.TotalDays:0.#} d");

    public static string Overview(AdminStatus status)
    {
        var html = new StringBuilder();
        html.Append("<h2>Sources</h2><table id=\"sources\"><tr><th>source</th><th>kind</th><th>last pull</th><th>lag</th><th>last error</th><th>watermarks</th><th>subscriptions</th><th>subjects</th></tr>");
        foreach (var s in status.Sources)
        {
            html.Append(Ci, $"<tr><td>{E(s.Name)}</td><td>{E(s.Kind)}</td><td>{E(Time(s.LastPull))}</td><td>{E(Lag(s.Lag))}</td>");
            html.Append(Ci, $"<td class=\"{(s.LastError is null ? "" : "error")}\">{E(s.LastError ?? "none")}</td><td>{string.Join("<br>", s.Watermarks.Select(w => E(w)))}</td>");
            html.Append(Ci, $"<td>{E(s.Subscription)}</td><td class=\"num\">{s.Subjects}</td></tr>");
        }

        html.Append("</table><h2>Outbox</h2><table id=\"outbox\"><tr><th>state</th><th>change sets</th></tr>");
        foreach (var state in OutboxState.All)
        {
            html.Append(Ci, $"<tr><td>{E(state)}</td><td class=\"num\">{status.Outbox.GetValueOrDefault(state)}</td></tr>");
        }

        html.Append(Ci, $"</table><p><a href=\"/admin/dead-letters\">{status.DeadLettersNotReplayed} dead letters</a> not replayed.</p>");
        html.Append("<h2>Subjects by outcome</h2><table id=\"outcomes\"><tr><th>outcome</th><th>subjects</th></tr>");
        foreach (var (outcome, count) in status.Outcomes)
        {
            html.Append(Ci, $"<tr><td>{E(outcome)}</td><td class=\"num\">{count}</td></tr>");
        }

        html.Append(Ci, $"</table><p class=\"muted\">As of {E(Time(status.At))}.</p>");
        return html.ToString();
    }

    public static string Log(MappingLogQuery query, MappingLogPage page, IEnumerable<string> sources, Func<int, string> pageLink)
    {
        var html = new StringBuilder();
        html.Append("<form class=\"filters\" method=\"get\" action=\"/admin/log\" id=\"log-filters\">");
        html.Append("<label>source<select name=\"source\"><option value=\"\">any</option>");
        foreach (var s in sources)
        {
            html.Append(Ci, $"<option{(s == query.Source ? " selected" : "")}>{E(s)}</option>");
        }

        html.Append("</select></label>");
        html.Append(Ci, $"<label>resource type<input name=\"type\" value=\"{E(query.ResourceType)}\" placeholder=\"Procedure\"></label>");
        html.Append("<label>decision<select name=\"decision\"><option value=\"\">any</option>");
        foreach (var d in Decisions)
        {
            html.Append(Ci, $"<option{(d == query.Decision ? " selected" : "")}>{E(d)}</option>");
        }

        html.Append("</select></label>");
        html.Append(Ci, $"<label>reason<input name=\"reason\" value=\"{E(query.Reason)}\" placeholder=\"not-in-theatre\"></label>");
        html.Append(Ci, $"<label>code<input name=\"code\" value=\"{E(query.Code)}\" placeholder=\"81.07\"></label>");
        html.Append(Ci, $"<label>from<input name=\"from\" value=\"{E(query.From is { } f ? f.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", Ci) : "")}\" placeholder=\"2025-01-01\"></label>");
        html.Append(Ci, $"<label>to<input name=\"to\" value=\"{E(query.To is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", Ci) : "")}\" placeholder=\"2025-02-01\"></label>");
        html.Append("<button type=\"submit\">Filter</button></form>");
        var first = page.Total == 0 ? 0 : query.Offset + 1;
        html.Append(Ci, $"<p id=\"log-count\">{first}-{query.Offset + page.Records.Count} of {page.Total} decisions, newest first.</p>");
        html.Append("<table id=\"log\"><tr><th>recorded</th><th>source</th><th>resource</th><th>decision</th><th>rule or ConceptMap</th><th>reason</th><th>codes</th><th>prefix</th><th>index</th><th>evidence</th><th>detail</th></tr>");
        foreach (var r in page.Records)
        {
            var e = r.Entry;
            html.Append(Ci, $"<tr class=\"decision-{E(e.Decision)}\"><td>{E(Time(r.RecordedAt))}</td><td>{E(r.SourceName)}</td><td>{E(e.Source)}</td><td>{E(e.Decision)}</td><td>{E(e.Rule)}</td><td>{E(e.Reason)}</td>");
            html.Append(Ci, $"<td>{string.Join("<br>", e.Codes.Select(c => "<code>" + E(c) + "</code>"))}</td><td>{E(e.Prefix)}</td><td>{E(e.Index)}</td><td>{string.Join("<br>", e.Evidence.Select(E))}</td><td>{E(e.Detail)}</td></tr>");
        }

        html.Append("</table><p>");
        if (query.Offset > 0)
        {
            html.Append(Ci, $"<a rel=\"prev\" href=\"{E(pageLink(Math.Max(0, query.Offset - query.Limit)))}\">previous</a> ");
        }

        if (query.Offset + page.Records.Count < page.Total)
        {
            html.Append(Ci, $"<a rel=\"next\" href=\"{E(pageLink(query.Offset + query.Limit))}\">next</a>");
        }

        html.Append("</p>");
        return html.ToString();
    }

    public static string Unmapped(IReadOnlyList<UnmappedCode> codes)
    {
        var html = new StringBuilder();
        html.Append(Ci, $"<p>{codes.Count} source codes no mapping covers, the most decisions first. Map them in a ConceptMap whose target is the category system and load it with <code>FhirBridge:Mappings:Directories</code>.</p>");
        html.Append("<form method=\"get\" action=\"/admin/unmapped/conceptmap.json\"><button type=\"submit\" id=\"download-conceptmap\">Download a ConceptMap skeleton</button></form>");
        html.Append("<table id=\"unmapped\"><tr><th>system</th><th>code</th><th>decisions</th><th>sources</th><th>examples</th><th></th></tr>");
        foreach (var c in codes)
        {
            var log = "/admin/log?decision=unmapped&code=" + Uri.EscapeDataString(c.System + "|" + c.Code);
            html.Append(Ci, $"<tr><td>{E(c.System)}</td><td><code>{E(c.Code)}</code></td><td class=\"num\">{c.Decisions}</td><td>{E(string.Join(", ", c.Sources))}</td>");
            html.Append(Ci, $"<td>{string.Join("<br>", c.Examples.Select(E))}</td><td><a href=\"{E(log)}\">log</a></td></tr>");
        }

        html.Append("</table>");
        return html.ToString();
    }

    public static string Chart(QualityChartData data)
    {
        var html = new StringBuilder();
        html.Append("<p>Per index month and cohort group: subjects with an unplanned return to theatre (numerator) over subjects whose outcome is known, ")
            .Append("a return or a closed window (denominator). Subjects still in follow-up are in neither. Hover a bar for its numbers.</p>");
        html.Append("<div class=\"chart\"><div id=\"chart\">").Append(QualityChartSvg.Render(data)).Append("</div>");
        html.Append("<table id=\"chart-table\"><tr><th>month</th>");
        foreach (var cohort in data.Cohorts)
        {
            html.Append(Ci, $"<th>{E(cohort)}</th>");
        }

        html.Append("</tr>");
        foreach (var month in data.Months)
        {
            html.Append(Ci, $"<tr><td>{E(month)}</td>");
            foreach (var cohort in data.Cohorts)
            {
                var cell = data.Cell(month, cohort);
                html.Append(Ci, $"<td class=\"num\">{(cell.Rate is { } rate ? string.Create(Ci, $"{cell.Numerator}/{cell.Denominator} ({rate * 100:0.0}%)") : "-")}</td>");
            }

            html.Append("</tr>");
        }

        html.Append("</table></div><p><a href=\"/admin/chart.svg\">the chart as an SVG file</a></p>");
        return html.ToString();
    }

    public static string DeadLetters(IReadOnlyList<OutboxItem> items, string? message)
    {
        var html = new StringBuilder();
        if (message is not null)
        {
            html.Append("<p id=\"replay-message\">").Append(E(message)).Append("</p>");
        }

        html.Append("<p>Change sets the registry refused. Replay recomputes the dead letter's patient at the source's next run, and the subject's records ")
            .Append("are sent as they are then, never the refused Bundle again (it may hold an older Patient or study record than the registry has now).</p>");
        html.Append("<table id=\"dead-letters\"><tr><th>id</th><th>source</th><th>subject</th><th>dead since</th><th>attempts</th><th>registry's message</th><th></th></tr>");
        foreach (var i in items)
        {
            html.Append(Ci, $"<tr><td>{i.Id}</td><td>{E(i.Source)}</td><td><code>{E(i.SubjectKey.Length > 12 ? i.SubjectKey[..12] + "…" : i.SubjectKey)}</code></td><td>{E(Time(i.DeadAt))}</td><td class=\"num\">{i.Attempts}</td>");
            html.Append(Ci, $"<td><pre>{E(i.LastError)}</pre></td><td>");
            html.Append(i.ReplayedBy is { } by
                ? string.Create(Ci, $"replayed as {by}")
                : i.ReplayedAt is { } at
                ? E("replayed " + Time(at))
                : string.Create(Ci, $"<form method=\"post\" action=\"/admin/dead-letters/{i.Id}/replay\"><button type=\"submit\">Replay</button></form>"));
            html.Append("</td></tr>");
        }

        html.Append("</table>");
        return html.ToString();
    }

    private static readonly string[] Decisions =
    [
        Decision.Mapped, Decision.PrefixMatch, Decision.Unmapped, Decision.Assumed, Decision.Missing, Decision.Index, Decision.Counted, Decision.Excluded, Decision.Quarantined,
    ];
}
