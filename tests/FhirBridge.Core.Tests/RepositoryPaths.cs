namespace FhirBridge.Tests;

/// <summary>Finds the repository's own files (mappings/, samples/) from a test's output directory.</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string Mappings => Path.Combine(Root, "mappings");

    public static string Samples => Path.Combine(Root, "samples");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FhirBridge.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("FhirBridge.sln not found above " + AppContext.BaseDirectory);
    }
}
