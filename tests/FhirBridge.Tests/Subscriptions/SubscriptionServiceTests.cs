using System.Net;
using System.Text.Json;
using FhirBridge.Fhir.Subscriptions;
using FhirBridge.Tests.Cli;
using FhirBridge.TestServer;
using FhirBridge.TestServer.Subscriptions;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirBridge.Tests.Subscriptions;

/// <summary>
/// Subscriptions end to end: the real executable as a service (<c>run --Urls=http://127.0.0.1:0</c>) against the
/// in-process hospital server, which keeps the Subscriptions FhirBridge creates and sends real rest-hook notifications
/// through a relay standing at <c>PublicBaseUrl</c>. The schedule is set years away, so every pull after the first is a
/// notification's.
/// </summary>
public sealed class SubscriptionServiceTests : IAsyncLifetime
{
    private const string Key = "subscription-key-0123456789";
    private const string Secret = "notification-secret-0123456789";
    private const string Pulled = "resources (";
    private const string Never = "0 0 0 1 1 ? 2099";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);
    private readonly string _dir = Directory.CreateTempSubdirectory("fhirbridge-subscriptions-").FullName;
    private FhirTestTarget _hospital = null!;
    private NotificationRelay _relay = null!;

    private static string Sample => Path.Combine(Fhirbridge.RepositoryRoot, "samples", "synthetic-hospital");

    private FhirTestServer Server => _hospital.Server!;

    private static Dictionary<string, string> Environment => new()
    {
        ["FhirBridge__Pseudonymization__Key"] = Key,
        ["FhirBridge__Sources__0__Subscriptions__Secret"] = Secret,
    };

    public async System.Threading.Tasks.Task InitializeAsync() => _relay = await NotificationRelay.StartAsync();

    public async System.Threading.Tasks.Task DisposeAsync()
    {
        await _relay.DisposeAsync();
        if (_hospital is not null)
        {
            await _hospital.DisposeAsync();
        }

        Directory.Delete(_dir, recursive: true);
    }

    private string In(string name) => Path.Combine(_dir, name);

    private async System.Threading.Tasks.Task StartHospitalAsync(bool backport = false, bool seed = true)
    {
        _hospital = await FhirTestTarget.CreateAsync(new FhirTestServerOptions { AdvertiseBackport = backport });
        if (seed)
        {
            await _hospital.SeedNdjsonAsync(Sample);
        }
    }

    private string Config(string schedule = Never, string types = "")
    {
        File.WriteAllText(In("appsettings.json"), $$"""
            { "FhirBridge": {
                "PublicBaseUrl": "{{_relay.PublicBaseUrl}}",
                "Sources": [ { "Name": "hospital", "Kind": "Rest", "BaseUrl": "{{_hospital.BaseUrl}}", "TimeZone": "Asia/Shanghai", "PageSize": 200,
                               "Schedule": "{{schedule}}", {{types}} "Subscriptions": { "Enabled": true } } ],
                "Registry": { "Path": "registry" }, "Storage": { "ConnectionString": "state/state.db" } } }
            """);
        return In("appsettings.json");
    }

    /// <summary>Starts the service and waits for its first pull, with the Subscriptions kept before it.</summary>
    private async Task<ServiceProcess> StartServiceAsync(string config)
    {
        var service = await ServiceProcess.StartAsync(config, Environment);
        _relay.Target = service.BaseUrl;
        await service.WaitForCountAsync("Recomputed ", 1, Wait);
        return service;
    }

    private string[] RegistryFiles() => Directory.Exists(In("registry")) ? [.. Directory.GetFiles(In("registry")).Order(StringComparer.Ordinal)] : [];

    /// <summary>Waits until the registry folder holds more than <paramref name="count"/> files and has not grown for a second.</summary>
    private async Task<string[]> WaitForRegistryAsync(int count, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        var last = -1;
        while (DateTime.UtcNow < until)
        {
            var now = RegistryFiles();
            if (now.Length > count && now.Length == last)
            {
                return now;
            }

            last = now.Length;
            await System.Threading.Tasks.Task.Delay(1000);
        }

        throw new TimeoutException($"the registry folder did not grow past {count} files in {timeout.TotalSeconds} s");
    }

    private async Task<List<Subscription>> OurSubscriptionsAsync() =>
        [.. (await _hospital.SearchAllAsync("Subscription")).Cast<Subscription>()
            .Where(s => s.Meta?.Tag.Any(t => t.System == SubscriptionManager.TagSystem) == true)];

    private async Task<Procedure> AReturnProcedureAsync()
    {
        // Which Procedure is an unplanned return: a batch run over its own state and registry says.
        File.WriteAllText(In("once.json"), File.ReadAllText(In("appsettings.json")).Replace("\"registry\"", "\"once-registry\"", StringComparison.Ordinal).Replace("state/state.db", "once/state.db", StringComparison.Ordinal));
        var once = Fhirbridge.Run(Environment, "run", "--once", "--config", In("once.json"), "--report", In("report.json"));
        Assert.True(once.ExitCode == 0, once.Stdout + once.Stderr);
        using var report = JsonDocument.Parse(File.ReadAllText(In("report.json")));
        var id = report.RootElement.GetProperty("subjects").EnumerateArray().First(s => s.GetProperty("returns").GetArrayLength() > 0)
            .GetProperty("returns")[0].GetProperty("procedure").GetString()!["Procedure/".Length..];
        var line = File.ReadLines(Path.Combine(Sample, "Procedure.ndjson")).Last(l => l.Contains($"\"id\":\"{id}\"", StringComparison.Ordinal));
        return new FhirJsonDeserializer().Deserialize<Procedure>(line);
    }

    [InProcessHospitalFact]
    public async System.Threading.Tasks.Task Notification_ChangedProcedure_ReachesTheRegistryLongBeforeTheNextPoll()
    {
        await StartHospitalAsync();
        var config = Config();
        var withdrawn = await AReturnProcedureAsync();
        using var service = await StartServiceAsync(config);

        // Created at start: one active rest-hook Subscription per pulled type, pointing at PublicBaseUrl, with the secret.
        var ours = await OurSubscriptionsAsync();
        Assert.Equal(8, ours.Count);
        Assert.All(ours, s =>
        {
            Assert.Equal(Subscription.SubscriptionChannelType.RestHook, s.Channel.Type);
            Assert.Equal(new Uri(_relay.PublicBaseUrl, "notifications/hospital").AbsoluteUri, s.Channel.Endpoint);
            Assert.Equal(["Authorization: Bearer " + Secret], s.Channel.Header);
        });
        Assert.Contains(ours, s => s.Criteria == "Procedure?");
        var before = (await WaitForRegistryAsync(0, Wait)).Length;

        withdrawn.Status = EventStatus.EnteredInError;
        await _hospital.PutAsync(withdrawn);

        var files = await WaitForRegistryAsync(before, TimeSpan.FromSeconds(30));
        Assert.Equal(2, service.Count(Pulled)); // the first pull and the notification's: no poll in between
        var sent = Server.Notifier.Sent.Where(n => n.Kind == "classic").ToList();
        Assert.Equal(202, Assert.Single(sent).StatusCode);
        Assert.Equal(Subscription.SubscriptionStatus.Active, (await OurSubscriptionsAsync()).Single(s => s.Criteria == "Procedure?").Status);
        var change = File.ReadAllText(Assert.Single(files.Skip(before)));
        Assert.Contains("\"status\":\"entered-in-error\"", change, StringComparison.Ordinal);
    }

    [InProcessHospitalFact]
    public async System.Threading.Tasks.Task Notifications_WrongSecretForeignUrlsAndBursts_RefusedIgnoredAndCoalesced()
    {
        await StartHospitalAsync();
        using var service = await StartServiceAsync(Config());
        var endpoint = new Uri(service.BaseUrl, "notifications/hospital");
        await System.Threading.Tasks.Task.Delay(500);
        Server.ClearRequests();
        var pulls = service.Count(Pulled);

        // A wrong or missing secret: 401, nothing queued; an unknown source: 404.
        Assert.Equal(401, await Server.Notifier.SendAsync(HttpMethod.Post, endpoint, null, [new("Authorization", "Bearer wrong-secret-0123456789012")]));
        Assert.Equal(401, await Server.Notifier.SendAsync(HttpMethod.Post, endpoint, null, []));
        Assert.Equal(401, await Server.Notifier.SendAsync(HttpMethod.Post, endpoint, null, [new("Authorization", "Basic " + Secret)]));
        Assert.Equal(404, await Server.Notifier.SendAsync(HttpMethod.Post, new Uri(service.BaseUrl, "notifications/elsewhere"), null, [new("Authorization", "Bearer " + Secret)]));
        await System.Threading.Tasks.Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(pulls, service.Count(Pulled));
        Assert.DoesNotContain(Server.Requests, r => r.Interaction is FhirInteraction.Search or FhirInteraction.SearchPage);
        Assert.Equal(0, service.Count("pull queued"));

        // A notification full of foreign URLs (a bundle entry's fullUrl, a bare resource's reference, a Location
        // header, a PUT path) triggers a pull of the base URL and nothing at the foreign host.
        var foreign = Server.ForeignOrigin.AbsoluteUri + "fhir/";
        var bundle = $$$"""
            {"resourceType":"Bundle","type":"history","entry":[{"fullUrl":"{{{foreign}}}Procedure/evil","resource":{"resourceType":"Procedure","id":"evil","status":"completed","subject":{"reference":"{{{foreign}}}Patient/evil"}},"request":{"method":"PUT","url":"{{{foreign}}}Procedure/evil"}}]}
            """;
        var bearer = new KeyValuePair<string, string>("Authorization", "Bearer " + Secret);
        Assert.Equal(202, await Server.Notifier.SendAsync(HttpMethod.Post, endpoint, bundle, [bearer, new("Location", foreign + "Procedure/evil")]));
        await service.WaitForCountAsync(Pulled, pulls + 1, TimeSpan.FromSeconds(30));
        Assert.Equal(202, await Server.Notifier.SendAsync(HttpMethod.Put, new Uri(endpoint + "/Procedure/evil"),
            $$$"""{"resourceType":"Procedure","id":"evil","status":"completed","subject":{"reference":"{{{foreign}}}Patient/evil"}}""", [bearer, new("Content-Location", foreign + "Procedure/evil")]));
        await service.WaitForCountAsync(Pulled, pulls + 2, TimeSpan.FromSeconds(30));
        Assert.DoesNotContain(Server.Requests, r => r.IsForeignHost);
        Assert.All(Server.Requests, r => Assert.Equal("GET", r.Method)); // the pulls read; a notification never writes
        Assert.DoesNotContain(Server.Requests, r => r.PathAndQuery.Contains("evil", StringComparison.Ordinal));

        // A burst of 30 while nothing runs: all answered at once, at most one running and one more queued.
        await System.Threading.Tasks.Task.Delay(500);
        var beforeBurst = service.Count(Pulled);
        var answers = await System.Threading.Tasks.Task.WhenAll(Enumerable.Range(0, 30).Select(_ => Server.Notifier.SendAsync(HttpMethod.Post, endpoint, null, [bearer])));
        Assert.All(answers, a => Assert.Equal(202, a));
        await service.WaitForCountAsync(Pulled, beforeBurst + 1, TimeSpan.FromSeconds(30));
        await System.Threading.Tasks.Task.Delay(TimeSpan.FromSeconds(3));
        Assert.InRange(service.Count(Pulled) - beforeBurst, 1, 2);
    }

    [InProcessHospitalFact]
    public async System.Threading.Tasks.Task KeepAlive_ErrorSubscriptionRecreated_RemoveDeletesOnlyOurs()
    {
        await StartHospitalAsync(seed: false);
        var foreign = new Subscription
        {
            Id = "someone-elses",
            Status = Subscription.SubscriptionStatus.Off,
            Reason = "another system's subscription",
            Criteria = "Procedure?",
            Channel = new Subscription.ChannelComponent { Type = Subscription.SubscriptionChannelType.RestHook, Endpoint = "https://elsewhere.example/hook" },
        };
        await _hospital.PutAsync(foreign);
        var config = Config(schedule: "0/2 * * * * ?", types: "\"ResourceTypes\": [\"Patient\", \"Procedure\"],");
        using (var service = await StartServiceAsync(config))
        {
            var ours = await OurSubscriptionsAsync();
            Assert.Equal(["Patient?", "Procedure?"], ours.Select(s => s.Criteria).Order(StringComparer.Ordinal));
            var broken = ours.Single(s => s.Criteria == "Procedure?");
            broken.Status = Subscription.SubscriptionStatus.Error;
            broken.Error = "delivery failed 3 times";
            await _hospital.PutAsync(broken);

            var recreated = await service.WaitForAsync(l => l.Contains("is recreated", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the error subscription to be recreated");
            Assert.Contains("its status is error: delivery failed 3 times", recreated, StringComparison.Ordinal);
            await System.Threading.Tasks.Task.Delay(500);
            var after = await OurSubscriptionsAsync();
            Assert.Equal(2, after.Count);
            Assert.DoesNotContain(after, s => s.Id == broken.Id);
            Assert.All(after, s => Assert.Equal(Subscription.SubscriptionStatus.Active, s.Status));
        }

        var status = Fhirbridge.Run(Environment, "subscriptions", "status", "--config", config, "--json");
        Assert.True(status.ExitCode == 0, status.Stdout + status.Stderr);
        using (var listed = JsonDocument.Parse(status.Stdout))
        {
            Assert.Equal(["Patient:active", "Procedure:active"],
                listed.RootElement.EnumerateArray().Select(s => s.GetProperty("resourceType").GetString() + ":" + s.GetProperty("status").GetString()).Order(StringComparer.Ordinal));
        }

        var remove = Fhirbridge.Run(Environment, "subscriptions", "remove", "--config", config);
        Assert.True(remove.ExitCode == 0, remove.Stdout + remove.Stderr);
        Assert.Contains("hospital: removed 2 subscription(s)", remove.Stdout, StringComparison.Ordinal);
        Assert.Empty(await OurSubscriptionsAsync());
        Assert.Equal("someone-elses", Assert.Single(await _hospital.SearchAllAsync("Subscription")).Id);
    }

    [InProcessHospitalFact]
    public async System.Threading.Tasks.Task Backport_TopicSubscriptions_HandshakeAndHeartbeatAccepted_GapTriggersPull()
    {
        await StartHospitalAsync(backport: true, seed: false);
        using var service = await StartServiceAsync(Config(types: "\"ResourceTypes\": [\"Patient\", \"Procedure\"],"));
        await Server.Notifier.WhenIdleAsync();

        var ours = await OurSubscriptionsAsync();
        Assert.Equal([SubscriptionNotifier.TopicPrefix + "Patient", SubscriptionNotifier.TopicPrefix + "Procedure"], ours.Select(s => s.Criteria).Order(StringComparer.Ordinal));
        Assert.All(ours, s => Assert.Equal(Subscription.SubscriptionStatus.Active, s.Status)); // the handshake was answered
        Assert.All(Server.Notifier.Sent, n => Assert.Equal(("handshake", 200), (n.Kind, n.StatusCode)));

        var pulls = service.Count(Pulled);
        Server.Notifier.SendHeartbeats();
        await Server.Notifier.WhenIdleAsync();
        await System.Threading.Tasks.Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(2, Server.Notifier.Sent.Count(n => n.Kind == "heartbeat" && n.StatusCode == 200));
        Assert.Equal(pulls, service.Count(Pulled)); // nothing missed, nothing to pull

        Server.Notifier.SkipEvents(3);
        Server.Notifier.SendHeartbeats();
        await Server.Notifier.WhenIdleAsync();
        await service.WaitForCountAsync(Pulled, pulls + 1, TimeSpan.FromSeconds(30));
        Assert.Contains("missed notifications", service.Log, StringComparison.Ordinal);
        await System.Threading.Tasks.Task.Delay(TimeSpan.FromSeconds(2));
        Assert.InRange(service.Count(Pulled) - pulls, 1, 2);

        // An event after the gap is in sequence again: one more pull for the event itself.
        var afterGap = service.Count(Pulled);
        await _hospital.PutAsync(new Patient { Id = "p-new", BirthDate = "1970-01-01" });
        await Server.Notifier.WhenIdleAsync();
        await service.WaitForCountAsync(Pulled, afterGap + 1, TimeSpan.FromSeconds(30));
        Assert.Equal(202, Server.Notifier.Sent.Single(n => n.Kind == "event-notification").StatusCode);
        Assert.Equal(4, Server.Notifier.Sent.Single(n => n.Kind == "event-notification").EventNumber);
    }
}
