using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace FhirBridge.Fhir.Tests.Support;

/// <summary>Every log line the code under test writes, formatted, so tests can check what was said (and what never was).</summary>
internal sealed class LogCollector : ILoggerProvider
{
    private readonly ConcurrentQueue<(LogLevel Level, string Category, string Text)> _lines = new();

    public IReadOnlyList<(LogLevel Level, string Category, string Text)> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    public bool Contains(string text, LogLevel atLeast = LogLevel.Trace) =>
        _lines.Any(l => l.Level >= atLeast && l.Text.Contains(text, StringComparison.Ordinal));

    /// <summary>Fails when any line contains <paramref name="secret"/>.</summary>
    public void AssertNeverContains(string secret) =>
        Assert.DoesNotContain(_lines, l => l.Text.Contains(secret, StringComparison.Ordinal));

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<(LogLevel, string, string)> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue((logLevel, category, formatter(state, exception) + (exception is null ? "" : " | " + exception)));
    }
}
