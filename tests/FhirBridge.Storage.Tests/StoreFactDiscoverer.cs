using FhirBridge.TestServer.Postgres;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace FhirBridge.Tests.Storage;

/// <summary>Finds <see cref="StoreFactAttribute"/> tests: a skipped case for a PostgreSQL class without a server, else a normal one.</summary>
/// <param name="diagnosticMessageSink">Where xunit wants diagnostics.</param>
public sealed class StoreFactDiscoverer(IMessageSink diagnosticMessageSink) : IXunitTestCaseDiscoverer
{
    /// <inheritdoc />
    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute)
    {
        var display = discoveryOptions.MethodDisplayOrDefault();
        var displayOptions = discoveryOptions.MethodDisplayOptionsOrDefault();
        if (typeof(IRunsOnPostgres).IsAssignableFrom(testMethod.TestClass.Class.ToRuntimeType()) && !TestDatabase.IsAvailable)
        {
            return [new XunitSkippedDataRowTestCase(diagnosticMessageSink, display, displayOptions, testMethod, PostgresFactAttribute.NoServer)];
        }

        return [new XunitTestCase(diagnosticMessageSink, display, displayOptions, testMethod)];
    }
}
