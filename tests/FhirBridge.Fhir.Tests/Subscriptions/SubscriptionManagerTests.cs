using FhirBridge.Fhir.Subscriptions;
using FhirBridge.Fhir.Tests.Support;
using FhirBridge.TestServer;
using Hl7.Fhir.Model;

namespace FhirBridge.Fhir.Tests.Subscriptions;

/// <summary>The manager against the in-process server over real HTTP: creates, keeps, recreates and removes only its own.</summary>
public sealed class SubscriptionManagerTests
{
    private static SubscriptionManager Manager(PullHarness h, string source = PullHarness.Source) => FhirSubscriptions.Create(h.Services, source, new SubscriptionSettings
    {
        Endpoint = new Uri("https://bridge.example/notifications/" + source),
        Secret = "secret-0123456789abcdef",
        ResourceTypes = ["Patient", "Procedure"],
    });

    [InProcessFact]
    public async Task EnsureAsync_Twice_CreatesOnePerTypeThenKeepsThem()
    {
        await using var h = await PullHarness.StartAsync();
        var manager = Manager(h);

        var first = await manager.EnsureAsync(CancellationToken.None);
        var second = await manager.EnsureAsync(CancellationToken.None);

        Assert.Equal(["Patient?", "Procedure?"], first.Select(s => s.Criteria));
        Assert.Equal(first.Select(s => s.Id), second.Select(s => s.Id));
        Assert.Equal(2, h.Server.ResourceCount("Subscription"));
        Assert.All(first, s => Assert.False(s.IsTopic));
    }

    [InProcessFact]
    public async Task EnsureAsync_OffSubscription_IsDeletedAndRecreated()
    {
        await using var h = await PullHarness.StartAsync();
        var manager = Manager(h);
        var created = await manager.EnsureAsync(CancellationToken.None);
        var patient = (Subscription)(await h.Target.SearchAllAsync("Subscription")).Single(r => ((Subscription)r).Criteria == "Patient?");
        patient.Status = Subscription.SubscriptionStatus.Off;
        await h.Target.PutAsync(patient);

        var after = await manager.EnsureAsync(CancellationToken.None);

        Assert.NotEqual(created[0].Id, after[0].Id);
        Assert.Equal(created[1].Id, after[1].Id);
        Assert.True(h.Logs.Contains("is recreated: its status is off"), "the recreation is logged with its reason");
    }

    [InProcessFact]
    public async Task RemoveAsync_LeavesOtherSourcesAndForeignSubscriptions()
    {
        await using var h = await PullHarness.StartAsync();
        await Manager(h).EnsureAsync(CancellationToken.None);
        await h.SeedAsync(new Subscription
        {
            Id = "foreign",
            Status = Subscription.SubscriptionStatus.Off,
            Reason = "x",
            Criteria = "Procedure?",
            Meta = new Meta { Tag = [new Coding(SubscriptionManager.TagSystem, PullHarness.Source + "x/Procedure")] },
            Channel = new Subscription.ChannelComponent { Type = Subscription.SubscriptionChannelType.RestHook, Endpoint = "https://elsewhere.example/" },
        });

        Assert.Equal(2, await Manager(h).RemoveAsync(CancellationToken.None));

        Assert.Equal("foreign", Assert.Single(await h.Target.SearchAllAsync("Subscription")).Id);
    }

    [InProcessFact]
    public async Task EnsureAsync_BackportServer_CreatesTopicSubscriptionsWithEmptyPayload()
    {
        await using var h = await PullHarness.StartAsync(o => o.AdvertiseBackport = true);

        var states = await Manager(h).EnsureAsync(CancellationToken.None);

        Assert.All(states, s => Assert.True(s.IsTopic));
        Assert.Equal(["http://fhirbridge.org/fhir/test/SubscriptionTopic/Patient", "http://fhirbridge.org/fhir/test/SubscriptionTopic/Procedure"], states.Select(s => s.Criteria));
        var stored = (Subscription)(await h.Target.SearchAllAsync("Subscription"))[0];
        Assert.Equal("empty", stored.Channel.PayloadElement.GetExtensionValue<Code>(BackportIg.PayloadContent).Value);
    }
}
