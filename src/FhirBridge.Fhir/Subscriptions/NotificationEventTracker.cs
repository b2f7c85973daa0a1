using System.Collections.Concurrent;

namespace FhirBridge.Fhir.Subscriptions;

/// <summary>
/// Follows the event numbers of each Backport topic subscription (<c>events-since-subscription-start</c>,
/// <c>notification-event.event-number</c>) to notice missed notifications. Kept in memory only: after a restart the
/// first pull reads everything since the watermark anyway, so nothing is lost by forgetting.
/// </summary>
public sealed class NotificationEventTracker
{
    private readonly ConcurrentDictionary<string, long> _lastSeen = new(StringComparer.Ordinal);

    /// <summary>
    /// Records a notification of <paramref name="source"/> and tells whether it reveals a gap: an event number further
    /// than one past the last seen, or a heartbeat counting more events than were seen. The first notification of a
    /// subscription since start (of this process) sets the count without being a gap.
    /// </summary>
    public bool Observe(string source, SubscriptionNotification notification)
    {
        ArgumentNullException.ThrowIfNull(notification);
        if (notification.Subscription is null || notification.Kind is NotificationKind.Empty or NotificationKind.Resource)
        {
            return false;
        }

        var key = source + "\n" + notification.Subscription;
        var gap = false;
        lock (_lastSeen)
        {
            var known = _lastSeen.TryGetValue(key, out var last);
            if (notification.Kind == NotificationKind.Handshake)
            {
                _lastSeen[key] = notification.EventsSinceStart ?? 0;
                return false;
            }

            foreach (var number in notification.EventNumbers.Order())
            {
                if (known && number > last + 1)
                {
                    gap = true;
                }

                if (!known || number > last)
                {
                    last = number;
                    known = true;
                }
            }

            if (notification.EventsSinceStart is { } since)
            {
                if (known && since > last)
                {
                    gap = true;
                }

                if (!known || since > last)
                {
                    last = since;
                    known = true;
                }
            }

            if (known)
            {
                _lastSeen[key] = last;
            }
        }

        return gap;
    }
}
