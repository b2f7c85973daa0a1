using System.Net;
using System.Text;

namespace FhirBridge.Cli.Web.Admin;

/// <summary>The admin pages' frame: plain HTML and CSS, no script; everything shown is HTML-encoded through <see cref="E"/>.</summary>
internal static class AdminHtml
{
    private const string Css = """
        body{font-family:system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fafafa}
        header{background:#1f3a5f;color:#fff;padding:.6rem 1rem;display:flex;gap:1.2rem;align-items:center;flex-wrap:wrap}
        header a{color:#fff;text-decoration:none}header a.current{text-decoration:underline}
        header form{margin-left:auto}main{padding:1rem}
        table{border-collapse:collapse;margin:.5rem 0;background:#fff}th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top;font-size:.9rem}
        th{background:#eef2f7}td.num{text-align:right}.error{color:#a00}.muted{color:#666}
        form.filters{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end}form.filters label{display:flex;flex-direction:column;font-size:.8rem}
        .chart{display:flex;gap:1.5rem;flex-wrap:wrap;align-items:flex-start}code{font-size:.85rem}
        """;

    private static readonly (string Path, string Title)[] Nav =
    [
        ("/admin", "Overview"), ("/admin/log", "Mapping log"), ("/admin/unmapped", "Unmapped codes"), ("/admin/chart", "Quality chart"), ("/admin/dead-letters", "Dead letters"),
    ];

    public static string E(string? text) => WebUtility.HtmlEncode(text ?? string.Empty);

    /// <summary>A page with the navigation and a sign-out button.</summary>
    public static string Page(string title, string current, string body)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(E(title)).Append(" - FhirBridge admin</title>");
        html.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><style>").Append(Css).Append("</style></head><body><header><strong>FhirBridge</strong>");
        foreach (var (path, name) in Nav)
        {
            html.Append("<a href=\"").Append(path).Append('"').Append(path == current ? " class=\"current\"" : "").Append('>').Append(E(name)).Append("</a>");
        }

        html.Append("<form method=\"post\" action=\"/admin/sign-out\"><button type=\"submit\">Sign out</button></form></header><main><h1>")
            .Append(E(title)).Append("</h1>").Append(body).Append("</main></body></html>");
        return html.ToString();
    }

    /// <summary>The sign-in form, served with 401 on every admin page until the admin signs in.</summary>
    public static string SignIn(string? next, string? message, bool enabled)
    {
        var body = new StringBuilder();
        body.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign in - FhirBridge admin</title><style>").Append(Css)
            .Append("</style></head><body><header><strong>FhirBridge</strong></header><main><h1>Sign in</h1>");
        if (!enabled)
        {
            body.Append("<p class=\"error\">The admin surface is not enabled: set <code>FhirBridge:Admin:PasswordHash</code> (from <code>fhirbridge admin hash-password</code>) or <code>FhirBridge:Admin:ApiKeys</code>.</p>");
        }

        if (message is not null)
        {
            body.Append("<p class=\"error\" id=\"sign-in-error\">").Append(E(message)).Append("</p>");
        }

        body.Append("<form method=\"post\" action=\"/admin/sign-in\" id=\"sign-in\">")
            .Append("<input type=\"hidden\" name=\"next\" value=\"").Append(E(next ?? "/admin")).Append("\">")
            .Append("<p><label>User name <input name=\"username\" value=\"admin\" autocomplete=\"username\" required></label></p>")
            .Append("<p><label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\" required></label></p>")
            .Append("<p><button type=\"submit\">Sign in</button></p></form></main></body></html>");
        return body.ToString();
    }
}
