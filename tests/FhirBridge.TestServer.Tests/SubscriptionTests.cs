using System.Net;
using System.Text.Json;
using FhirBridge.TestServer.Subscriptions;
using Hl7.Fhir.Model;
using static FhirBridge.TestServer.Tests.TestServers;

namespace FhirBridge.TestServer.Tests;

/// <summary>Rest-hook Subscriptions: CRUD, classic notification styles, status on failure, and Backport Bundles with event numbers.</summary>
public sealed class SubscriptionTests
{
    private const string Backport = "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription";

    [Fact]
    public async Task CreateSubscription_ClassicRestHook_IsActivatedAndSearchable()
    {
        await using var receiver = await NotificationReceiver.StartAsync();
        await using var server = await StartAsync(configure: o => o.TimeProvider = TimeProvider.System);
        using var http = HttpClientFor(server);

        var id = await CreateAsync(http, Classic(receiver.Endpoint, "Procedure?"));
        await server.Notifier.WhenIdleAsync();

        var bundle = await BundleAsync(http, "Subscription");
        var stored = Assert.IsType<Subscription>(Assert.Single(bundle.Entry).Resource);
        Assert.Equal(id, stored.Id);
        Assert.Equal(Subscription.SubscriptionStatus.Active, stored.Status);
        Assert.Empty(receiver.Received); // classic R4 has no handshake
    }

    [Theory]
    [InlineData(NotificationStyle.Spec, null, "POST", "/notifications/hospital", false)]
    [InlineData(NotificationStyle.Spec, "application/fhir+json", "PUT", "/notifications/hospital/Procedure/pr1", true)]
    [InlineData(NotificationStyle.PostBareResource, "application/fhir+json", "POST", "/notifications/hospital", true)]
    [InlineData(NotificationStyle.ClassicPut, null, "PUT", "/notifications/hospital/Procedure/pr1", true)]
    [InlineData(NotificationStyle.Empty, "application/fhir+json", "POST", "/notifications/hospital", false)]
    public async Task WriteMatchingResource_ClassicStyles_DeliverWithChannelHeader(NotificationStyle style, string? payload, string method, string path, bool hasBody)
    {
        await using var receiver = await NotificationReceiver.StartAsync();
        await using var server = await StartAsync(configure: o => { o.TimeProvider = TimeProvider.System; o.NotificationStyle = style; });
        using var http = HttpClientFor(server);
        var subscription = Classic(receiver.Endpoint, "Procedure?");
        subscription.Channel.Payload = payload;
        await CreateAsync(http, subscription);

        await SeedAsync(http, Patient("p1"), Procedure("pr1", "p1"));
        await server.Notifier.WhenIdleAsync();

        var received = Assert.Single(receiver.Received); // the Patient does not match Procedure?
        Assert.Equal(method, received.Method);
        Assert.Equal(path, received.Path);
        Assert.Equal("Bearer secret-of-the-test-0123", received.Authorization);
        if (hasBody)
        {
            using var body = JsonDocument.Parse(received.Body);
            Assert.Equal("Procedure", body.RootElement.GetProperty("resourceType").GetString());
        }
        else
        {
            Assert.Equal("", received.Body);
        }
    }

    [Fact]
    public async Task Notification_EndpointAnswers401_SubscriptionGoesToErrorWithReason()
    {
        await using var receiver = await NotificationReceiver.StartAsync();
        receiver.Status = 401;
        await using var server = await StartAsync(configure: o => o.TimeProvider = TimeProvider.System);
        using var http = HttpClientFor(server);
        var id = await CreateAsync(http, Classic(receiver.Endpoint, "Procedure?"));

        await SeedAsync(http, Patient("p1"), Procedure("pr1", "p1"));
        await server.Notifier.WhenIdleAsync();

        using var response = await GetAsync(http, "Subscription/" + id);
        var stored = await ResourceAsync<Subscription>(response);
        Assert.Equal(Subscription.SubscriptionStatus.Error, stored.Status);
        Assert.Contains("401", stored.Error, StringComparison.Ordinal);
        Assert.Equal(401, Assert.Single(server.Notifier.Sent).StatusCode);
    }

    [Fact]
    public async Task Backport_AdvertisedAndHandshakeEventsHeartbeatWithGap()
    {
        await using var receiver = await NotificationReceiver.StartAsync();
        await using var server = await StartAsync(configure: o => { o.TimeProvider = TimeProvider.System; o.AdvertiseBackport = true; });
        using var http = HttpClientFor(server);

        using (var metadata = await GetAsync(http, "metadata"))
        {
            var capabilities = await ResourceAsync<CapabilityStatement>(metadata);
            Assert.Contains("http://hl7.org/fhir/uv/subscriptions-backport/CapabilityStatement/backport-subscription-server-r4", capabilities.Instantiates);
            var procedure = capabilities.Rest[0].Resource.Single(r => r.Type == "Procedure");
            Assert.Equal(SubscriptionNotifier.TopicPrefix + "Procedure",
                procedure.GetExtensionValue<Canonical>("http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/capabilitystatement-subscriptiontopic-canonical").Value);
        }

        var subscription = Classic(receiver.Endpoint, SubscriptionNotifier.TopicPrefix + "Procedure");
        subscription.Meta = new Meta { Profile = [Backport] };
        var id = await CreateAsync(http, subscription);
        await server.Notifier.WhenIdleAsync();
        await SeedAsync(http, Patient("p1"), Procedure("pr1", "p1"));
        server.Notifier.SkipEvents(2);
        await SeedAsync(http, Procedure("pr2", "p1"));
        server.Notifier.SendHeartbeats();
        await server.Notifier.WhenIdleAsync();

        var kinds = receiver.Received.Select(r => Status(r.Body)).ToList();
        Assert.Equal(["handshake:0:", "event-notification:1:1", "event-notification:4:4", "heartbeat:4:"], kinds);
        Assert.All(receiver.Received, r => Assert.Equal("POST", r.Method));
        using var response = await GetAsync(http, "Subscription/" + id);
        Assert.Equal(Subscription.SubscriptionStatus.Active, (await ResourceAsync<Subscription>(response)).Status);
    }

    [Fact]
    public async Task SendAsync_ArbitraryNotification_ArrivesAsGiven()
    {
        await using var receiver = await NotificationReceiver.StartAsync();
        await using var server = await StartAsync(configure: o => o.TimeProvider = TimeProvider.System);

        var status = await server.Notifier.SendAsync(HttpMethod.Put, new Uri(receiver.Endpoint + "/Procedure/x"), "{\"resourceType\":\"Procedure\"}",
            [new("Authorization", "Bearer x"), new("Location", server.ForeignOrigin.AbsoluteUri)]);

        Assert.Equal(200, status);
        var received = Assert.Single(receiver.Received);
        Assert.Equal(("PUT", "/notifications/hospital/Procedure/x", "Bearer x"), (received.Method, received.Path, received.Authorization));
    }

    [Fact]
    public async Task DeleteSubscription_NoMoreNotifications()
    {
        await using var receiver = await NotificationReceiver.StartAsync();
        await using var server = await StartAsync(configure: o => o.TimeProvider = TimeProvider.System);
        using var http = HttpClientFor(server);
        var id = await CreateAsync(http, Classic(receiver.Endpoint, "Procedure?"));

        using (var deleted = await http.DeleteAsync(new Uri("Subscription/" + id, UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        }

        await SeedAsync(http, Patient("p1"), Procedure("pr1", "p1"));
        await server.Notifier.WhenIdleAsync();
        Assert.Empty(receiver.Received);
    }

    private static Subscription Classic(Uri endpoint, string criteria) => new()
    {
        Status = Subscription.SubscriptionStatus.Requested,
        Reason = "test",
        Criteria = criteria,
        Channel = new Subscription.ChannelComponent
        {
            Type = Subscription.SubscriptionChannelType.RestHook,
            Endpoint = endpoint.AbsoluteUri,
            Header = ["Authorization: Bearer secret-of-the-test-0123"],
        },
    };

    private static async Task<string> CreateAsync(HttpClient http, Subscription subscription)
    {
        using var content = Content(subscription);
        using var response = await http.PostAsync(new Uri("Subscription", UriKind.Relative), content);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await ResourceAsync<Subscription>(response)).Id!;
    }

    /// <summary>type:events-since-subscription-start:event-number of a Backport notification Bundle.</summary>
    private static string Status(string body)
    {
        using var document = JsonDocument.Parse(body);
        var parameters = document.RootElement.GetProperty("entry")[0].GetProperty("resource").GetProperty("parameter").EnumerateArray().ToList();
        string Value(string name) => parameters.Where(p => p.GetProperty("name").GetString() == name).Select(p => p.GetProperty(name == "type" ? "valueCode" : "valueString").GetString()).FirstOrDefault() ?? "";
        var number = parameters.Where(p => p.GetProperty("name").GetString() == "notification-event")
            .SelectMany(p => p.GetProperty("part").EnumerateArray()).Where(p => p.GetProperty("name").GetString() == "event-number")
            .Select(p => p.GetProperty("valueString").GetString()).FirstOrDefault() ?? "";
        return $"{Value("type")}:{Value("events-since-subscription-start")}:{number}";
    }
}
