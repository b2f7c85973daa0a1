using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace FhirBridge.Fhir.Pull;

/// <summary>A short, single-line account of an error body: the OperationOutcome's issue codes and diagnostics, if it is one.</summary>
internal static partial class OperationOutcomeText
{
    private const int MaxLength = 300;

    public static string Describe(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var issues = Issues(document.RootElement).Select(i => i.Diagnostics is null ? i.Code : $"{i.Code}: {i.Diagnostics}").ToList();
            return issues.Count == 0 ? "" : Clip(" (" + string.Join("; ", issues) + ")");
        }
        catch (JsonException)
        {
            return "";
        }
    }

    /// <summary>The issues of an OperationOutcome (severity, code, diagnostics); none for anything else.</summary>
    public static IEnumerable<(string Severity, string Code, string? Diagnostics)> Issues(JsonElement resource)
    {
        if (resource.ValueKind != JsonValueKind.Object || !resource.TryGetProperty("issue", out var issues) || issues.ValueKind != JsonValueKind.Array)
        {
            yield break;
        }

        foreach (var issue in issues.EnumerateArray())
        {
            yield return (Text(issue, "severity") ?? "?", Text(issue, "code") ?? "?", Text(issue, "diagnostics") is { } d ? Clip(QuotedValue().Replace(d, "'…'")) : null);
        }
    }

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static string Clip(string text)
    {
        var line = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            line.Append(char.IsControl(c) ? ' ' : c);
        }

        return line.Length <= MaxLength ? line.ToString() : line.ToString(0, MaxLength) + "…";
    }

    // A server's diagnostics may quote the offending value, which can be patient data: it is masked, as ingest does.
    [GeneratedRegex("'[^']*'|\"[^\"]*\"")]
    private static partial Regex QuotedValue();
}
