namespace FhirBridge.Tests.Storage;

/// <summary>Marks a test class whose store is PostgreSQL, so <see cref="StoreFactAttribute"/> skips it when no server is given.</summary>
#pragma warning disable CA1040 // A marker the discoverer reads from the class: an attribute would do as well, an interface is simpler to check.
public interface IRunsOnPostgres;
#pragma warning restore CA1040
