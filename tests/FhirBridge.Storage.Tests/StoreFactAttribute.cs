using Xunit.Sdk;

namespace FhirBridge.Tests.Storage;

/// <summary>
/// A fact of the store contract, written once in an abstract class and run for each store by its sealed subclasses:
/// skipped with <see cref="TestServer.Postgres.PostgresFactAttribute.NoServer"/> in the PostgreSQL ones
/// (<see cref="IRunsOnPostgres"/>) when no server is given. A plain FactAttribute cannot do this, as the attribute is
/// shared by every subclass; <see cref="StoreFactDiscoverer"/> looks at the class.
/// </summary>
[XunitTestCaseDiscoverer("FhirBridge.Tests.Storage.StoreFactDiscoverer", "FhirBridge.Storage.Tests")]
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class StoreFactAttribute : FactAttribute;
