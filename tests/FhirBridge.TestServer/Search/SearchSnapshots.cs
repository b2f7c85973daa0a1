using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace FhirBridge.TestServer.Search;

/// <summary>Search snapshots by opaque page token; the oldest are forgotten past a cap (a later page then answers 410).</summary>
internal sealed class SearchSnapshots
{
    private const int Capacity = 2000;
    private readonly ConcurrentDictionary<string, SearchSnapshot> _byToken = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();

    public string Add(SearchSnapshot snapshot)
    {
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        _byToken[token] = snapshot;
        _order.Enqueue(token);
        while (_order.Count > Capacity && _order.TryDequeue(out var old))
        {
            _byToken.TryRemove(old, out _);
        }

        return token;
    }

    public bool TryGet(string token, out SearchSnapshot snapshot) => _byToken.TryGetValue(token, out snapshot!);
}
