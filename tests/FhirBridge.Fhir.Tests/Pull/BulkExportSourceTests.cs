using System.Diagnostics;
using FhirBridge.Fhir.Http;
using FhirBridge.Fhir.Pull;
using FhirBridge.Fhir.Tests.Support;
using FhirBridge.TestServer;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Logging;
using static FhirBridge.Fhir.Tests.Support.Fhir;

namespace FhirBridge.Fhir.Tests.Pull;

/// <summary>Bulk Data $export pulls: kick-off, polling, manifest, NDJSON files, _since, error files and refusals.</summary>
public sealed class BulkExportSourceTests
{
    private static readonly BulkExportSettings PatientsAndProcedures = new()
    {
        ResourceTypes = ["Patient", "Procedure"],
        PollInterval = TimeSpan.FromMilliseconds(500),
    };

    [Fact]
    public async Task PullAsync_Export_KicksOffPollsAndStoresEveryFile()
    {
        await using var h = await PullHarness.StartAsync(o =>
        {
            o.ExportPendingPolls = 1;
            o.ExportRetryAfter = TimeSpan.FromSeconds(1);
            o.ExportMaxResourcesPerFile = 2; // several files per type
        });
        var ids = await SeedAsync(h, procedures: 5);

        var clock = Stopwatch.StartNew();
        var summary = await h.Bulk(PatientsAndProcedures).PullAsync(h.Store, null, default);

        foreach (var id in ids.Procedures)
        {
            Assert.NotNull(await h.StoredAsync("Procedure", id, ids.Patient));
        }

        Assert.NotNull(await h.StoredAsync("Patient", ids.Patient, ids.Patient));
        Assert.NotNull(await h.WatermarkAsync(BulkExportSource.SinceKey));
        if (!h.Target.IsExternal)
        {
            Assert.Equal(5, summary.ResourcesByType["Procedure"]);
            Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(950), $"polled again after {clock.Elapsed}, before Retry-After");
            var kickoff = Assert.Single(h.Requests(FhirInteraction.ExportKickoff));
            Assert.Equal("respond-async", kickoff.Prefer);
            Assert.Equal("application/fhir+json", kickoff.Accept);
            Assert.Contains("$export?_type=Patient,Procedure", kickoff.PathAndQuery, StringComparison.Ordinal);
            Assert.DoesNotContain("_since", kickoff.PathAndQuery, StringComparison.Ordinal);
            Assert.Equal([202, 200], h.Requests(FhirInteraction.ExportStatus).Select(r => r.StatusCode));
            Assert.Equal(4, h.Requests(FhirInteraction.ExportFile).Count); // Patient-1, Procedure-1..3
            Assert.Single(h.Requests(FhirInteraction.ExportCancel)); // done: the server may drop the files
            Assert.True(h.Logs.Contains("in progress: in progress (poll 1 of 1)"));
            Assert.Equal((await h.Store.GetQuarantineAsync(PullHarness.Source, default)).Count, summary.Quarantined);
        }
    }

    [Fact]
    public async Task PullAsync_SecondExport_SendsSinceAndStoresOnlyChanges()
    {
        await using var h = await PullHarness.StartAsync();
        var ids = await SeedAsync(h, procedures: 4);
        await h.Bulk(PatientsAndProcedures).PullAsync(h.Store, null, default);
        var since = await h.WatermarkAsync(BulkExportSource.SinceKey);
        h.Clock.Advance(TimeSpan.FromMinutes(5));
        if (h.Target.IsExternal)
        {
            await Task.Delay(TimeSpan.FromSeconds(1.5));
        }

        await h.SeedAsync(Procedure(ids.Procedures[2], ids.Patient, EventStatus.EnteredInError));

        var second = await h.Bulk(PatientsAndProcedures).PullAsync(h.Store, null, default);

        Assert.Contains("entered-in-error", (await h.StoredAsync("Procedure", ids.Procedures[2], ids.Patient))!.Json, StringComparison.Ordinal);
        Assert.True(string.CompareOrdinal(await h.WatermarkAsync(BulkExportSource.SinceKey), since) > 0);
        if (!h.Target.IsExternal)
        {
            Assert.Equal(1, second.ResourcesByType.Values.Sum());
            Assert.Equal(1, second.Stored);
            var kickoff = h.Requests(FhirInteraction.ExportKickoff)[^1].PathAndQuery;
            Assert.Contains("&_since=" + Uri.EscapeDataString(since!), kickoff, StringComparison.Ordinal);
        }
    }

    [InProcessFact]
    public async Task PullAsync_SinceWithAnOffset_SendsThePlusAsPercent2B()
    {
        await using var h = await PullHarness.StartAsync();
        await SeedAsync(h, procedures: 2); // at 08:00Z, after the watermark below
        await h.Store.IngestAsync(PullHarness.Source, new Storage.IngestBatch
        {
            Watermarks = new Dictionary<string, string> { [BulkExportSource.SinceKey] = "2025-03-01T15:59:00.000+08:00" },
        }, default);

        var summary = await h.Bulk(PatientsAndProcedures).PullAsync(h.Store, null, default);

        Assert.Contains("&_since=2025-03-01T15%3A59%3A00.000%2B08%3A00", Assert.Single(h.Requests(FhirInteraction.ExportKickoff)).PathAndQuery, StringComparison.Ordinal);
        Assert.Equal(2, summary.ResourcesByType["Procedure"]); // a '+' sent raw would be a space: 400, or another instant
    }

    [InProcessFact]
    public async Task PullAsync_ErrorFile_IsLoggedAndThePullCompletes()
    {
        await using var h = await PullHarness.StartAsync();
        await SeedAsync(h, procedures: 2);
        h.Server.Faults.Enqueue(Fault.ExportErrorFile("Observation export failed: index unavailable"));

        var summary = await h.Bulk(PatientsAndProcedures).PullAsync(h.Store, null, default);

        Assert.Equal(2, summary.ResourcesByType["Procedure"]);
        Assert.True(h.Logs.Contains("OperationOutcome-1.ndjson: error processing: Observation export failed: index unavailable", LogLevel.Warning));
        Assert.NotNull(await h.WatermarkAsync(BulkExportSource.SinceKey));
    }

    [InProcessFact]
    public async Task PullAsync_ErrorFileThatTimesOut_IsReportedAndThePullCompletes()
    {
        // Polly's TimeoutRejectedException, after retries: not an HttpRequestException, and once fatal to the whole pull.
        var http = PullHarness.FastHttp with { RequestTimeout = TimeSpan.FromMilliseconds(500), MaxRetries = 1 };
        await using var h = await PullHarness.StartAsync(null, http);
        var ids = await SeedAsync(h, procedures: 1);
        h.Server.Faults.Enqueue(Fault.ExportErrorFile("Observation export failed: index unavailable"));
        h.Server.Faults.Enqueue(Fault.Slow(TimeSpan.FromSeconds(5)), FhirInteraction.ExportFile, times: int.MaxValue, pathContains: "OperationOutcome-");

        var error = await Record.ExceptionAsync(() => h.Bulk(PatientsAndProcedures).PullAsync(h.Store, null, default));

        Assert.True(error is null, "the pull failed on the error file: " + error?.Message);
        Assert.NotNull(await h.StoredAsync("Procedure", ids.Procedures[0], ids.Patient));
        Assert.NotNull(await h.WatermarkAsync(BulkExportSource.SinceKey));
        Assert.True(h.Logs.Contains("Could not read bulk export error file 1 of 1", LogLevel.Warning), "the unread error file is not reported");
        Assert.True(h.Logs.Contains("OperationOutcome-1.ndjson) of source hospital-a: timed out", LogLevel.Warning), "the report names neither the file nor why");
        h.Logs.AssertNeverContains(ids.Patient);
    }

    [InProcessFact]
    public async Task PullAsync_ErrorFileOnAnOpenCircuit_IsReportedAndThePullCompletes()
    {
        // The error file keeps failing until the source's circuit opens (failures reach half of all attempts); the next
        // attempt is refused with Polly's BrokenCircuitException, which the retry does not handle.
        var http = PullHarness.FastHttp with
        {
            MaxRetries = 12,
            CircuitBreakerMinimumThroughput = 3,
            CircuitBreakerFailureRatio = 0.5,
            CircuitBreakerBreakDuration = TimeSpan.FromMinutes(5),
        };
        await using var h = await PullHarness.StartAsync(null, http);
        var ids = await SeedAsync(h, procedures: 1);
        h.Server.Faults.Enqueue(Fault.ExportErrorFile("Observation export failed: index unavailable"));
        h.Server.Faults.Enqueue(Fault.ServiceUnavailable(), FhirInteraction.ExportFile, times: int.MaxValue, pathContains: "OperationOutcome-");

        var error = await Record.ExceptionAsync(() => h.Bulk(PatientsAndProcedures).PullAsync(h.Store, null, default));

        Assert.True(error is null, "the pull failed on the error file: " + error?.Message);
        Assert.True(h.Logs.Contains("Circuit of source hospital-a opened"), "the circuit never opened: the test does not test what it says");
        Assert.True(h.Logs.Contains("OperationOutcome-1.ndjson) of source hospital-a: the source's circuit is open", LogLevel.Warning), "the unread error file is not reported");
        Assert.NotNull(await h.StoredAsync("Procedure", ids.Procedures[0], ids.Patient));
        Assert.NotNull(await h.WatermarkAsync(BulkExportSource.SinceKey));
    }

    [InProcessFact]
    public async Task PullAsync_ManifestUrlOnAnotherHost_IsRefusedAndNothingIsDownloaded()
    {
        const string token = "bulk-bearer-40cd";
        await using var h = await PullHarness.StartAsync(
            o => o.Auth = FhirTestAuth.Bearer(token),
            PullHarness.FastHttp with { Auth = new FhirSourceAuthSettings { Kind = FhirSourceAuthKind.Bearer, Token = token } });
        await SeedAsync(h, procedures: 2);
        h.Server.Faults.Enqueue(Fault.ForeignManifestUrl());

        var failure = await Assert.ThrowsAsync<FhirPullException>(() => h.Bulk(PatientsAndProcedures).PullAsync(h.Store, null, default));

        Assert.Contains($"source {PullHarness.Source}: bulk export:", failure.Message, StringComparison.Ordinal);
        Assert.Contains("another origin", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(h.Server.Requests, r => r.IsForeignHost);
        Assert.Empty(h.Requests(FhirInteraction.ExportFile));
        Assert.Single(h.Requests(FhirInteraction.ExportCancel));
        Assert.Null(await h.WatermarkAsync(BulkExportSource.SinceKey));
        Assert.True(h.Logs.Contains("Refused a bulk export file", LogLevel.Warning));
    }

    [InProcessFact]
    public async Task PullAsync_StatusUrlOnAnotherHost_IsRefusedBeforeAnyPoll()
    {
        await using var h = await PullHarness.StartAsync();
        await SeedAsync(h, procedures: 1);
        h.Server.Faults.Enqueue(Fault.ForeignLocation(), FhirInteraction.ExportKickoff);

        var failure = await Assert.ThrowsAsync<FhirPullException>(() => h.Bulk(PatientsAndProcedures).PullAsync(h.Store, null, default));

        Assert.Contains("Content-Location points at another origin", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(h.Server.Requests, r => r.IsForeignHost);
        Assert.Empty(h.Requests(FhirInteraction.ExportStatus));
    }

    [InProcessFact]
    public async Task PullAsync_ExportSlowerThanMaxWait_GivesUpAndCancelsTheJob()
    {
        await using var h = await PullHarness.StartAsync(o =>
        {
            o.ExportPendingPolls = 100;
            o.ExportRetryAfter = TimeSpan.FromSeconds(30);
        });
        await SeedAsync(h, procedures: 1);

        var failure = await Assert.ThrowsAsync<FhirPullException>(() =>
            h.Bulk(PatientsAndProcedures with { MaxWait = TimeSpan.FromSeconds(10) }).PullAsync(h.Store, null, default));

        Assert.Contains("did not complete within", failure.Message, StringComparison.Ordinal);
        Assert.Single(h.Requests(FhirInteraction.ExportStatus));
        Assert.Single(h.Requests(FhirInteraction.ExportCancel));
        Assert.Null(await h.WatermarkAsync(BulkExportSource.SinceKey));
    }

    [InProcessFact]
    public async Task PullAsync_OnSmartServer_DownloadsFilesWithTheToken()
    {
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP384);
        await using var h = await PullHarness.StartAsync(
            o =>
            {
                o.Auth = FhirTestAuth.SmartBackend;
                o.RegisterSmartClient("fhirbridge", key);
            },
            (_, folder) =>
            {
                var file = Path.Combine(folder, "key.pem");
                File.WriteAllText(file, key.ExportECPrivateKeyPem());
                return PullHarness.FastHttp with
                {
                    Auth = new FhirSourceAuthSettings { Kind = FhirSourceAuthKind.SmartBackend, ClientId = "fhirbridge", PrivateKeyFile = file },
                };
            });
        await SeedAsync(h, procedures: 3);
        h.Server.ClearRequests();

        var summary = await h.Bulk(PatientsAndProcedures).PullAsync(h.Store, null, default);

        Assert.Equal(3, summary.ResourcesByType["Procedure"]);
        Assert.NotEmpty(h.Requests(FhirInteraction.ExportFile));
        Assert.All(h.Requests(FhirInteraction.ExportFile), r => Assert.Equal(("Bearer", 200), (r.AuthorizationScheme, r.StatusCode)));
        Assert.Single(h.Requests(FhirInteraction.Token));
    }

    [InProcessFact]
    public async Task PullAsync_ManifestNotRequiringTheToken_DownloadsFilesWithoutIt()
    {
        // The server asks for nothing (requiresAccessToken: false); the client has a token for its FHIR requests all the same.
        await using var h = await PullHarness.StartAsync(
            null, PullHarness.FastHttp with { Auth = new FhirSourceAuthSettings { Kind = FhirSourceAuthKind.Bearer, Token = "unneeded" } });
        await SeedAsync(h, procedures: 2);

        await h.Bulk(PatientsAndProcedures).PullAsync(h.Store, null, default);

        Assert.True(Assert.Single(h.Requests(FhirInteraction.ExportKickoff)).HasAuthorization);
        Assert.NotEmpty(h.Requests(FhirInteraction.ExportFile));
        Assert.All(h.Requests(FhirInteraction.ExportFile), r => Assert.False(r.HasAuthorization));
    }

    private static async Task<(string Patient, string[] Procedures)> SeedAsync(PullHarness h, int procedures)
    {
        var patient = Id("p1");
        var ids = Enumerable.Range(0, procedures).Select(i => Id("op" + i)).ToArray();
        await h.SeedAsync([Patient(patient), .. ids.Select(id => Procedure(id, patient))]);
        return (patient, ids);
    }
}
