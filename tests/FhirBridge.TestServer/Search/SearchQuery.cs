using System.Globalization;
using FhirBridge.TestServer.Http;
using FhirBridge.TestServer.Store;
using Microsoft.Extensions.Primitives;

namespace FhirBridge.TestServer.Search;

/// <summary>
/// A parsed type-level search (https://hl7.org/fhir/R4/search.html): the criteria the server supports, AND between
/// parameters and OR between comma-separated values, plus <c>_count</c>, <c>_sort</c> and <c>_summary=count</c>.
/// </summary>
internal sealed class SearchQuery
{
    private static readonly HashSet<string> Ignored = new(StringComparer.Ordinal) { "_format", "_pretty", "_total", "_elements" };

    private readonly List<Func<ResourceVersion, bool>> _filters = [];
    private readonly List<(string Key, bool Descending)> _sort = [];

    private SearchQuery()
    {
    }

    /// <summary>The page size asked for, capped at the server's maximum; null when not given.</summary>
    public int? Count { get; private set; }

    /// <summary><c>_summary=count</c>: the total only.</summary>
    public bool SummaryCount { get; private set; }

    /// <summary>Whether any criterion was given (a conditional interaction needs one).</summary>
    public bool HasCriteria => _filters.Count > 0;

    /// <summary>Parses the parameters; unknown ones are refused (400) unless <paramref name="lenient"/>.</summary>
    public static SearchQuery Parse(string type, IEnumerable<KeyValuePair<string, StringValues>> parameters, bool lenient, int maxPageSize)
    {
        var query = new SearchQuery();
        var referenceParameters = SearchParameters.For(type).ToDictionary(p => p.Name, StringComparer.Ordinal);
        foreach (var (rawName, rawValues) in parameters)
        {
            var name = rawName;
            if (name.Contains(':', StringComparison.Ordinal))
            {
                if (lenient)
                {
                    continue;
                }

                throw FhirException.NotSupported($"Search parameter modifiers are not supported: '{rawName}'.");
            }

            foreach (var value in rawValues.OfType<string>())
            {
                if (value.Length == 0 || Ignored.Contains(name))
                {
                    continue;
                }

                switch (name)
                {
                    case "_id":
                        var ids = value.Split(',').ToHashSet(StringComparer.Ordinal);
                        query._filters.Add(v => ids.Contains(v.Id));
                        break;
                    case "_lastUpdated":
                        var ranges = value.Split(',').Select(ParseDateCriterion).ToArray();
                        query._filters.Add(v => ranges.Any(r => r(v.LastUpdated)));
                        break;
                    case "identifier":
                        var tokens = value.Split(',').Select(ParseToken).ToArray();
                        query._filters.Add(v => tokens.Any(t => v.Index.Identifiers.Any(t)));
                        break;
                    case "_count":
                        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var count))
                        {
                            throw FhirException.BadRequest($"_count must be a non-negative integer, not '{value}'.");
                        }

                        query.Count = Math.Min(count, maxPageSize);
                        break;
                    case "_sort":
                        query.ParseSort(value, lenient);
                        break;
                    case "_summary":
                        if (value == "count")
                        {
                            query.SummaryCount = true;
                        }
                        else if (value != "false" && !lenient)
                        {
                            throw FhirException.NotSupported($"_summary={value} is not supported (only count and false).");
                        }

                        break;
                    default:
                        if (referenceParameters.TryGetValue(name, out var parameter))
                        {
                            var targets = value.Split(',').Select(r => ParseReference(r, parameter)).ToArray();
                            query._filters.Add(v => targets.Any(t => v.Index.ReferencesOf(parameter.Name).Any(t)));
                        }
                        else if (!lenient)
                        {
                            throw FhirException.BadRequest(
                                $"Unknown search parameter '{name}' for {type}. Supported: _id, _lastUpdated, identifier"
                                + string.Concat(referenceParameters.Keys.Select(k => ", " + k))
                                + ", _count, _sort, _summary=count.");
                        }

                        break;
                }
            }
        }

        return query;
    }

    public bool Matches(ResourceVersion version) => _filters.TrueForAll(f => f(version));

    /// <summary>Sorted as asked, then by <c>meta.lastUpdated</c> and id: the default order, deterministic.</summary>
    public List<ResourceVersion> Order(IEnumerable<ResourceVersion> versions)
    {
        IOrderedEnumerable<ResourceVersion>? ordered = null;
        foreach (var (key, descending) in _sort.Append(("_lastUpdated", false)).Append(("_id", false)))
        {
            Func<ResourceVersion, object> selector = key == "_id" ? v => v.Id : v => v.LastUpdated;
            IComparer<object> comparer = key == "_id"
                ? Comparer<object>.Create((a, b) => string.CompareOrdinal((string)a, (string)b))
                : Comparer<object>.Default;
            ordered = (ordered, descending) switch
            {
                (null, false) => versions.OrderBy(selector, comparer),
                (null, true) => versions.OrderByDescending(selector, comparer),
                (_, false) => ordered.ThenBy(selector, comparer),
                (_, true) => ordered.ThenByDescending(selector, comparer),
            };
        }

        return ordered!.ToList();
    }

    private static Func<DateTimeOffset, bool> ParseDateCriterion(string value)
    {
        var prefix = "eq";
        var literal = value;
        if (value.Length > 2 && char.IsAsciiLetterLower(value[0]) && char.IsAsciiLetterLower(value[1]))
        {
            prefix = value[..2];
            literal = value[2..];
        }

        if (!FhirDates.TryParseRange(literal, out var low, out var high))
        {
            var hint = literal.Contains(' ', StringComparison.Ordinal)
                ? " A '+' in a time zone must be sent percent-encoded (%2B); unencoded it reads as a space."
                : "";
            throw FhirException.BadRequest($"_lastUpdated: '{value}' is not a FHIR date, dateTime or instant.{hint}");
        }

        // The target is a point in time; the value is the range its precision covers (search.html#prefix).
        return prefix switch
        {
            "eq" => t => t >= low && t < high,
            "ne" => t => t < low || t >= high,
            "gt" or "sa" => t => t >= high,
            "ge" => t => t >= low,
            "lt" or "eb" => t => t < low,
            "le" => t => t < high,
            _ => throw FhirException.NotSupported($"_lastUpdated: prefix '{prefix}' is not supported (eq, ne, gt, ge, lt, le, sa, eb)."),
        };
    }

    /// <summary>A token: <c>system|value</c>, <c>|value</c> (no system), <c>system|</c> (any value), or <c>value</c>.</summary>
    private static Func<(string? System, string? Value), bool> ParseToken(string token)
    {
        var bar = token.IndexOf('|', StringComparison.Ordinal);
        if (bar < 0)
        {
            return i => i.Value == token;
        }

        var system = token[..bar];
        var value = token[(bar + 1)..];
        return (system.Length, value.Length) switch
        {
            (0, _) => i => string.IsNullOrEmpty(i.System) && i.Value == value,
            (_, 0) => i => i.System == system,
            _ => i => i.System == system && i.Value == value,
        };
    }

    /// <summary>A reference value: <c>id</c>, <c>Type/id</c> or an absolute URL ending in <c>Type/id</c>.</summary>
    private static Func<string, bool> ParseReference(string value, ReferenceParameter parameter)
    {
        if (!value.Contains('/', StringComparison.Ordinal))
        {
            var suffix = "/" + value;
            return r => r.EndsWith(suffix, StringComparison.Ordinal);
        }

        var normalized = ResourceJson.NormalizeReference(value)
            ?? throw FhirException.BadRequest($"{parameter.Name}: '{value}' is not a reference to a resource.");
        return r => r == normalized;
    }

    private void ParseSort(string value, bool lenient)
    {
        foreach (var part in value.Split(','))
        {
            var descending = part.StartsWith('-');
            var key = descending ? part[1..] : part;
            if (key is "_lastUpdated" or "_id")
            {
                _sort.Add((key, descending));
            }
            else if (!lenient)
            {
                throw FhirException.NotSupported($"_sort={part} is not supported (_lastUpdated, _id, with '-' for descending).");
            }
        }
    }
}
