using FhirBridge.Fhir.Push;
using FhirBridge.Storage;
using Microsoft.Extensions.Logging;

namespace FhirBridge.Cli.Push;

/// <summary>
/// The PUSH stage: sends pending change sets in order; a change set leaves the outbox only when the sink accepted it,
/// a permanent refusal moves it to the dead letters with the sink's own message, a transient one stays pending.
/// </summary>
public sealed class RegistryPush(IStateStore store, IRegistrySink sink, ILogger<RegistryPush> logger) : IDisposable
{
    // Jobs of several sources may finish together: one push at a time in this process, so no change set is read as
    // pending and sent twice concurrently (several processes are the clustering issue's concern).
    private readonly SemaphoreSlim _one = new(1, 1);

    /// <summary>The sink's description.</summary>
    public string Destination => sink.Describe();

    /// <summary>Sends everything pending; returns how many were sent, dead-lettered and left pending.</summary>
    public async Task<(int Sent, int Dead, int Pending)> PushPendingAsync(CancellationToken cancellationToken)
    {
        await _one.WaitAsync(cancellationToken);
        try
        {
            return await PushAsync(cancellationToken);
        }
        finally
        {
            _one.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _one.Dispose();

    private async Task<(int Sent, int Dead, int Pending)> PushAsync(CancellationToken cancellationToken)
    {
        int sent = 0, dead = 0, pending = 0;
        var seen = new HashSet<long>();
        while (true)
        {
            var batch = (await store.GetPendingOutboxAsync(100, cancellationToken)).Where(i => seen.Add(i.Id)).ToList();
            if (batch.Count == 0)
            {
                return (sent, dead, pending);
            }

            foreach (var item in batch)
            {
                var failure = await sink.SendAsync(item, cancellationToken);
                if (failure is null)
                {
                    await store.MarkOutboxSentAsync(item.Id, cancellationToken);
                    sent++;
                }
                else
                {
                    await store.MarkOutboxFailedAsync(item.Id, failure.Message, failure.Permanent, cancellationToken);
                    logger.LogWarning("Change set {OutboxId} for source {Source} not accepted ({Kind}): {Failure}", item.Id, item.Source, failure.Permanent ? "dead letter" : "will retry", failure.Message);
                    if (failure.Permanent)
                    {
                        dead++;
                    }
                    else
                    {
                        pending++;
                    }
                }
            }
        }
    }
}
