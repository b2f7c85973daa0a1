namespace FhirBridge.Cli.Configuration;

/// <summary>
/// Makes every relative path in the settings relative to the base settings file's folder, so the service behaves
/// the same whatever its working directory (systemd starts services in <c>/</c>).
/// </summary>
public static class FhirBridgeOptionsPaths
{
    /// <summary>Resolves the paths in place.</summary>
    public static void Resolve(FhirBridgeOptions options, string baseDirectory)
    {
        string? Full(string? path) => string.IsNullOrWhiteSpace(path) ? path : Path.GetFullPath(path, baseDirectory);

        options.Mappings.Directories = [.. options.Mappings.Directories.Select(d => Full(d)!)];
        foreach (var source in options.Sources)
        {
            source.Path = Full(source.Path);
            ResolveAuth(source.Auth);
            source.Subscriptions.SecretFile = Full(source.Subscriptions.SecretFile);
        }

        options.Registry.Path = Full(options.Registry.Path);
        ResolveAuth(options.Registry.Auth);
        if (options.Storage.Provider == StorageProvider.Sqlite)
        {
            options.Storage.ConnectionString = Full(options.Storage.ConnectionString)!;
        }

        options.Pseudonymization.KeyFile = Full(options.Pseudonymization.KeyFile);

        void ResolveAuth(AuthOptions auth)
        {
            auth.PasswordFile = Full(auth.PasswordFile);
            auth.TokenFile = Full(auth.TokenFile);
            auth.PrivateKeyFile = Full(auth.PrivateKeyFile);
        }
    }
}
