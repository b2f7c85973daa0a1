using System.Text;
using System.Text.Json;

namespace FhirBridge.Fhir.Push;

/// <summary>
/// The registry's own words, on one line: every issue of an OperationOutcome as
/// <c>severity code: diagnostics (or details.text) [expression]</c>, joined by <c>; </c>. The Bundles FhirBridge sends
/// hold pseudonymous data only, so whatever the registry quotes back is pseudonymous too; the text is kept as it is
/// (a dead letter needs the registry's exact message), with control characters flattened and the length capped.
/// </summary>
internal static class RegistryOutcome
{
    private const int MaxLength = 2000;

    /// <summary>The issues of an OperationOutcome in JSON text, or "" when the text is not one.</summary>
    public static string Describe(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return "";
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            return Describe(document.RootElement);
        }
        catch (JsonException)
        {
            return "";
        }
    }

    /// <summary>The issues of an OperationOutcome element, or "" when it is not one.</summary>
    public static string Describe(JsonElement outcome)
    {
        if (outcome.ValueKind != JsonValueKind.Object || Text(outcome, "resourceType") != "OperationOutcome"
            || !outcome.TryGetProperty("issue", out var issues) || issues.ValueKind != JsonValueKind.Array)
        {
            return "";
        }

        var parts = new List<string>();
        foreach (var issue in issues.EnumerateArray())
        {
            var line = new StringBuilder();
            line.Append(Text(issue, "severity") ?? "?").Append(' ').Append(Text(issue, "code") ?? "?");
            var text = Text(issue, "diagnostics") ?? DetailsText(issue);
            if (!string.IsNullOrWhiteSpace(text))
            {
                line.Append(": ").Append(text.Trim());
            }

            var where = Strings(issue, "expression").Concat(Strings(issue, "location")).Distinct(StringComparer.Ordinal).ToList();
            if (where.Count > 0)
            {
                line.Append(" [").Append(string.Join(", ", where)).Append(']');
            }

            parts.Add(line.ToString());
        }

        return OneLine(string.Join("; ", parts));
    }

    /// <summary>Control characters (newlines included) become spaces; longer text is cut with an ellipsis.</summary>
    public static string OneLine(string text)
    {
        var line = new StringBuilder(Math.Min(text.Length, MaxLength + 1));
        foreach (var c in text)
        {
            if (line.Length == MaxLength)
            {
                return line.Append('…').ToString();
            }

            line.Append(char.IsControl(c) ? ' ' : c);
        }

        return line.ToString();
    }

    private static string? DetailsText(JsonElement issue)
    {
        if (!issue.TryGetProperty("details", out var details) || details.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (Text(details, "text") is { } text)
        {
            return text;
        }

        var codings = details.TryGetProperty("coding", out var c) && c.ValueKind == JsonValueKind.Array ? c.EnumerateArray().ToList() : [];
        return codings.Select(coding => Text(coding, "display") ?? Text(coding, "code")).FirstOrDefault(t => t is not null);
    }

    private static IEnumerable<string> Strings(JsonElement element, string name) =>
        element.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array
            ? array.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!)
            : [];

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}
