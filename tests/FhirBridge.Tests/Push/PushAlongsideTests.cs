using FhirBridge.Cli.Push;
using FhirBridge.Fhir.Push;
using FhirBridge.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace FhirBridge.Tests.Push;

/// <summary>
/// The push of a one-off run alongside the recompute: change sets committed while it runs are sent in outbox order, the
/// totals are those of every push it made, and a registry that refuses stops it until the final push.
/// </summary>
public sealed class PushAlongsideTests : OutboxTestBase
{

    private Task QueueAsync(string patient, params string[] subjects) =>
        Store.CommitRecomputeAsync("h", patient, null, [], [.. subjects.Select(s => new QueuedChangeSet(s, $"{{\"subject\":\"{s}\"}}"))], [], default);

    [Fact]
    public async Task ChangeSetsCommittedWhileItRuns_AllSentOnceInOutboxOrder()
    {
        var sink = new RecordingSink();
        using var push = new RegistryPush(Store, sink, NullLogger<RegistryPush>.Instance, RegistryPushRetry.None);
        var alongside = new PushAlongside(push, TimeProvider.System, TimeSpan.FromMilliseconds(5), default);

        // Batches committed one after another, as a recompute does, some of them sent before the next is queued.
        var expected = new List<string>();
        for (var batch = 0; batch < 12; batch++)
        {
            var subjects = Enumerable.Range(0, 9).Select(i => $"b{batch:D2}-s{i}").ToArray();
            await QueueAsync($"p{batch}", subjects);
            expected.AddRange(subjects);
            if (batch % 4 == 0)
            {
                await sink.WaitForAsync(expected.Count);
            }
        }

        var (sent, dead, pending) = await alongside.CompleteAsync(default);

        Assert.Equal((108, 0, 0), (sent, dead, pending));
        Assert.Equal(expected, sink.Sent);
    }

    [Fact]
    public async Task RegistryRefusesWhileSourcesRun_StopsTryingThenTheFinalPushSendsEverything()
    {
        var sink = new RecordingSink { Refuse = true };
        using var push = new RegistryPush(Store, sink, NullLogger<RegistryPush>.Instance, RegistryPushRetry.None);
        await QueueAsync("p1", "s1", "s2");
        var alongside = new PushAlongside(push, TimeProvider.System, TimeSpan.FromMilliseconds(5), default);

        // It tried the first change set twice (a push that sends nothing may only have missed a batch committed just
        // after it looked), was refused both times, and stopped: no hammering of an absent registry while the sources
        // run, and nothing sent out of order.
        await sink.WaitForAttemptsAsync(2);
        await Task.Delay(100);
        Assert.Equal(2, sink.Attempts);

        sink.Refuse = false;
        await QueueAsync("p2", "s3");
        var (sent, dead, pending) = await alongside.CompleteAsync(default);

        Assert.Equal((3, 0, 0), (sent, dead, pending));
        Assert.Equal(["s1", "s2", "s3"], sink.Sent);
    }

    /// <summary>Accepts (or, while <see cref="Refuse"/>, refuses as unavailable) and records what it accepted.</summary>
    private sealed class RecordingSink : IRegistrySink
    {
        private readonly List<string> _sent = [];
        private int _attempts;

        public bool Refuse { get; set; }

        public int Attempts => Volatile.Read(ref _attempts);

        public List<string> Sent
        {
            get
            {
                lock (_sent)
                {
                    return [.. _sent];
                }
            }
        }

        public string Describe() => "recording";

        public Task<PushFailure?> SendAsync(OutboxItem item, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _attempts);
            if (Refuse)
            {
                return Task.FromResult<PushFailure?>(new PushFailure("503 Service Unavailable", Permanent: false));
            }

            lock (_sent)
            {
                _sent.Add(item.SubjectKey);
            }

            return Task.FromResult<PushFailure?>(null);
        }

        public async Task WaitForAsync(int count)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (Sent.Count < count)
            {
                await Task.Delay(5, timeout.Token);
            }
        }

        public async Task WaitForAttemptsAsync(int count)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (Attempts < count)
            {
                await Task.Delay(5, timeout.Token);
            }
        }
    }
}
