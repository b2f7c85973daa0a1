using System.Text.Json;

namespace FhirBridge.TestServer.Store;

/// <summary>
/// Every version of every resource, in memory. One lock (<see cref="Sync"/>) guards it all: the methods marked
/// "caller holds Sync" are the building blocks of transactions, which hold the lock for their whole duration.
/// </summary>
internal sealed class ResourceStore
{
    private readonly Dictionary<string, Dictionary<string, List<ResourceVersion>>> _types = new(StringComparer.Ordinal);
    private readonly TimeProvider _clock;
    private DateTimeOffset _lastStamp = DateTimeOffset.MinValue;

    public ResourceStore(IEnumerable<string> types, TimeProvider clock)
    {
        foreach (var type in types)
        {
            _types[type] = new Dictionary<string, List<ResourceVersion>>(StringComparer.Ordinal);
        }

        _clock = clock;
    }

    public Lock Sync { get; } = new();

    public IEnumerable<string> Types => _types.Keys;

    public bool IsSupported(string type) => _types.ContainsKey(type);

    /// <summary>
    /// The latest <c>meta.lastUpdated</c> handed out, or the clock if later: a time no later write can precede
    /// (Bulk Data <c>transactionTime</c>). Caller holds Sync.
    /// </summary>
    public DateTimeOffset Watermark()
    {
        var now = Truncate(_clock.GetUtcNow());
        return now > _lastStamp ? now : _lastStamp;
    }

    /// <summary>All versions, oldest first, or null. Caller holds Sync.</summary>
    public IReadOnlyList<ResourceVersion>? History(string type, string id) =>
        _types.TryGetValue(type, out var byId) && byId.TryGetValue(id, out var versions) ? versions : null;

    /// <summary>The latest version (possibly a deletion), or null. Caller holds Sync.</summary>
    public ResourceVersion? Current(string type, string id) => History(type, id) is { Count: > 0 } versions ? versions[^1] : null;

    /// <summary>The latest version of every resource of a type that is not deleted. Caller holds Sync.</summary>
    public IEnumerable<ResourceVersion> Live(string type) =>
        _types.TryGetValue(type, out var byId)
            ? byId.Values.Select(v => v[^1]).Where(v => !v.IsDeleted)
            : [];

    /// <summary>How many versions a resource has (0 when unknown). Caller holds Sync.</summary>
    public int VersionCount(string type, string id) => History(type, id)?.Count ?? 0;

    /// <summary>
    /// Appends a version: <paramref name="resource"/> (given <c>id</c>, <c>meta.versionId</c>, a strictly increasing
    /// <c>meta.lastUpdated</c>, and its references replaced per <paramref name="replacements"/>), or a deletion when
    /// null. Caller holds Sync.
    /// </summary>
    public ResourceVersion Write(string type, string id, JsonElement? resource, string method,
        IReadOnlyDictionary<string, string>? replacements = null)
    {
        var byId = _types[type];
        if (!byId.TryGetValue(id, out var versions))
        {
            versions = [];
            byId[id] = versions;
        }

        var versionId = versions.Count + 1;
        var stamp = NextStamp();
        string? json = null;
        var index = SearchIndex.Empty;
        if (resource is { } body)
        {
            json = ResourceJson.WithIdentity(body, type, id, versionId, stamp, replacements);
            using var stored = JsonDocument.Parse(json);
            index = SearchIndex.From(type, stored.RootElement);
        }

        var version = new ResourceVersion
        {
            Type = type,
            Id = id,
            VersionId = versionId,
            LastUpdated = stamp,
            Method = method,
            Json = json,
            Index = index,
        };
        versions.Add(version);
        return version;
    }

    /// <summary>Undoes writes: keeps the first <paramref name="count"/> versions. Caller holds Sync.</summary>
    public void Truncate(string type, string id, int count)
    {
        var byId = _types[type];
        if (!byId.TryGetValue(id, out var versions))
        {
            return;
        }

        if (count == 0)
        {
            byId.Remove(id);
        }
        else if (versions.Count > count)
        {
            versions.RemoveRange(count, versions.Count - count);
        }
    }

    /// <summary>The number of live resources of a type.</summary>
    public int Count(string type)
    {
        lock (Sync)
        {
            return Live(type).Count();
        }
    }

    private static DateTimeOffset Truncate(DateTimeOffset t) =>
        new(t.UtcTicks - (t.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);

    /// <summary>The clock at millisecond precision, moved 1 ms past the last stamp when the clock has not moved on.</summary>
    private DateTimeOffset NextStamp()
    {
        var now = Truncate(_clock.GetUtcNow());
        if (now <= _lastStamp)
        {
            now = _lastStamp.AddMilliseconds(1);
        }

        _lastStamp = now;
        return now;
    }
}
