using System.Globalization;
using System.Text.Json;

namespace FhirBridge.Fhir.Subscriptions;

/// <summary>
/// What FhirBridge reads of a notification body: only whether it is a Backport IG notification Bundle
/// (https://hl7.org/fhir/uv/subscriptions-backport/notifications.html: <c>Bundle.type</c> history, a
/// SubscriptionStatus <c>Parameters</c> first) and, if so, its type, subscription and event numbers. Nothing else of
/// the body is used: no URL in it is ever fetched, and no resource in it is stored (the pull reads the base URL).
/// </summary>
/// <param name="Kind">What the body is.</param>
/// <param name="Subscription">The subscription id the status names (the last path segment of its reference), when Backport.</param>
/// <param name="EventsSinceStart">The status's <c>events-since-subscription-start</c>, when given.</param>
/// <param name="EventNumbers">The <c>notification-event.event-number</c>s, in order.</param>
public sealed record SubscriptionNotification(NotificationKind Kind, string? Subscription, long? EventsSinceStart, IReadOnlyList<long> EventNumbers)
{
    /// <summary>Reads a body; a body that is not JSON, or not a notification Bundle, is <see cref="NotificationKind.Resource"/> (still a trigger).</summary>
    public static SubscriptionNotification Read(ReadOnlySpan<byte> body)
    {
        if (body.Trim(" \t\r\n"u8).IsEmpty)
        {
            return new(NotificationKind.Empty, null, null, []);
        }

        var other = new SubscriptionNotification(NotificationKind.Resource, null, null, []);
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || Text(root, "resourceType") != "Bundle" || Text(root, "type") != "history"
                || !root.TryGetProperty("entry", out var entries) || entries.ValueKind != JsonValueKind.Array || entries.GetArrayLength() == 0
                || !entries[0].TryGetProperty("resource", out var status) || Text(status, "resourceType") != "Parameters"
                || !status.TryGetProperty("parameter", out var parameters) || parameters.ValueKind != JsonValueKind.Array)
            {
                return other;
            }

            string? type = null, subscription = null;
            long? since = null;
            var events = new List<long>();
            foreach (var p in parameters.EnumerateArray())
            {
                switch (Text(p, "name"))
                {
                    case "type":
                        type = Text(p, "valueCode");
                        break;
                    case "subscription":
                        subscription = p.TryGetProperty("valueReference", out var r) ? Text(r, "reference") : null;
                        break;
                    case "events-since-subscription-start":
                        since = Number(p);
                        break;
                    case "notification-event" when p.TryGetProperty("part", out var parts) && parts.ValueKind == JsonValueKind.Array:
                        foreach (var part in parts.EnumerateArray())
                        {
                            if (Text(part, "name") == "event-number" && Number(part) is { } n)
                            {
                                events.Add(n);
                            }
                        }

                        break;
                }
            }

            var kind = type switch
            {
                "handshake" => NotificationKind.Handshake,
                "heartbeat" => NotificationKind.Heartbeat,
                "event-notification" => NotificationKind.EventNotification,
                _ => NotificationKind.OtherStatus,
            };
            var id = subscription?.TrimEnd('/').Split('/') switch
            {
                null => null,
                var segments when segments.Length >= 3 && segments[^2] == "_history" => segments[^3],
                var segments => segments[^1],
            };
            return new(kind, id, since, events);
        }
        catch (JsonException)
        {
            return other;
        }
    }

    private static string? Text(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    // The IG carries the counters as strings in R4 (they can outgrow an integer); some servers send numbers.
    private static long? Number(JsonElement p)
    {
        foreach (var name in new[] { "valueString", "valueInteger", "valueUnsignedInt", "valueInteger64", "valueDecimal" })
        {
            if (p.TryGetProperty(name, out var v))
            {
                if (v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n))
                {
                    return n;
                }

                if (v.ValueKind == JsonValueKind.String && long.TryParse(v.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out n))
                {
                    return n;
                }
            }
        }

        return null;
    }
}
