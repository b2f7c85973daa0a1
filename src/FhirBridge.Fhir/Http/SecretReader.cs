namespace FhirBridge.Fhir.Http;

/// <summary>Reads a secret given as a value or as a file; messages name the endpoint (<c>source X</c>, <c>registry</c>), the setting and the file, never the secret.</summary>
internal static class SecretReader
{
    public static string Read(string? value, string? file, string who, string setting)
    {
        if (!string.IsNullOrEmpty(value))
        {
            return value;
        }

        if (file is null)
        {
            throw new FhirAuthException($"{who}: {setting} is not set (give the value or a file)");
        }

        try
        {
            var text = File.ReadAllText(file).Trim();
            return text.Length > 0 ? text : throw new FhirAuthException($"{who}: the {setting} file {file} is empty");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FhirAuthException($"{who}: the {setting} file {file} cannot be read ({e.GetType().Name})", e);
        }
    }
}
