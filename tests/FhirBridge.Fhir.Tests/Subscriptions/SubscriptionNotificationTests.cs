using System.Text;
using System.Text.Json.Nodes;
using FhirBridge.Fhir.Subscriptions;

namespace FhirBridge.Fhir.Tests.Subscriptions;

/// <summary>Reading notification bodies (empty, bare resource, Backport Bundles) and noticing gaps in event numbers.</summary>
public sealed class SubscriptionNotificationTests
{
    private static SubscriptionNotification Read(string body) => SubscriptionNotification.Read(Encoding.UTF8.GetBytes(body));

    private static string Backport(string type, string since, string? eventNumber = null, string subscription = "https://h.example/fhir/Subscription/s1")
    {
        var parameters = new JsonArray
        {
            new JsonObject { ["name"] = "subscription", ["valueReference"] = new JsonObject { ["reference"] = subscription } },
            new JsonObject { ["name"] = "type", ["valueCode"] = type },
            new JsonObject { ["name"] = "events-since-subscription-start", ["valueString"] = since },
        };
        if (eventNumber is not null)
        {
            parameters.Add(new JsonObject
            {
                ["name"] = "notification-event",
                ["part"] = new JsonArray { new JsonObject { ["name"] = "event-number", ["valueString"] = eventNumber } },
            });
        }

        return new JsonObject
        {
            ["resourceType"] = "Bundle",
            ["type"] = "history",
            ["entry"] = new JsonArray { new JsonObject { ["fullUrl"] = "urn:uuid:1", ["resource"] = new JsonObject { ["resourceType"] = "Parameters", ["parameter"] = parameters } } },
        }.ToJsonString();
    }

    [Theory]
    [InlineData("", NotificationKind.Empty)]
    [InlineData("  \r\n", NotificationKind.Empty)]
    [InlineData("""{"resourceType":"Procedure","id":"p"}""", NotificationKind.Resource)]
    [InlineData("""{"resourceType":"Bundle","type":"transaction","entry":[]}""", NotificationKind.Resource)]
    [InlineData("not json {", NotificationKind.Resource)]
    public void Read_ClassicBodies_AreTriggersWithoutStatus(string body, NotificationKind kind)
    {
        var n = Read(body);
        Assert.Equal(kind, n.Kind);
        Assert.Null(n.Subscription);
    }

    [Fact]
    public void Read_BackportEventNotification_GivesTypeSubscriptionAndNumbers()
    {
        var n = Read(Backport("event-notification", "7", "7", "https://h.example/fhir/Subscription/s9/_history/2"));
        Assert.Equal((NotificationKind.EventNotification, "s9", 7L), (n.Kind, n.Subscription, n.EventsSinceStart));
        Assert.Equal([7L], n.EventNumbers);
    }

    [Fact]
    public void Tracker_HandshakeThenInSequence_NoGap_ThenSkippedNumber_Gap()
    {
        var tracker = new NotificationEventTracker();
        Assert.False(tracker.Observe("a", Read(Backport("handshake", "0"))));
        Assert.False(tracker.Observe("a", Read(Backport("event-notification", "1", "1"))));
        Assert.False(tracker.Observe("a", Read(Backport("heartbeat", "1"))));
        Assert.True(tracker.Observe("a", Read(Backport("event-notification", "4", "4"))));
        Assert.False(tracker.Observe("a", Read(Backport("event-notification", "5", "5"))));
        Assert.True(tracker.Observe("a", Read(Backport("heartbeat", "8"))));
        Assert.False(tracker.Observe("a", Read(Backport("heartbeat", "8"))));
    }

    [Fact]
    public void Tracker_FirstNotificationAfterRestart_IsNotAGap_AndSourcesAreSeparate()
    {
        var tracker = new NotificationEventTracker();
        Assert.False(tracker.Observe("a", Read(Backport("heartbeat", "12"))));
        Assert.False(tracker.Observe("b", Read(Backport("heartbeat", "3"))));
        Assert.True(tracker.Observe("b", Read(Backport("heartbeat", "5"))));
        Assert.False(tracker.Observe("a", Read(Backport("event-notification", "13", "13"))));
    }
}
