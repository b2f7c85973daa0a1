namespace FhirBridge.Fhir.Http;

/// <summary>The names under which <see cref="FhirRegistryHttpServiceCollectionExtensions.AddFhirRegistryHttp"/> registers the registry's clients.</summary>
public static class FhirRegistryHttp
{
    /// <summary>The named <see cref="HttpClient"/> of the registry's FHIR requests (transactions).</summary>
    public const string ClientName = "registry";

    /// <summary>The named client the registry push uses for SMART discovery and the token endpoint (never carries the access token).</summary>
    public const string AuthClientName = "registry:auth";
}
