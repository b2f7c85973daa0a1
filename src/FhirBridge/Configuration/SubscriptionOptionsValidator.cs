namespace FhirBridge.Cli.Configuration;

/// <summary>Checks <c>FhirBridge:PublicBaseUrl</c> and every source's <c>Subscriptions</c> settings; messages name the setting, never the secret.</summary>
public static class SubscriptionOptionsValidator
{
    /// <summary>The problems found, each naming its setting.</summary>
    public static IEnumerable<string> Failures(FhirBridgeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string root = FhirBridgeOptions.Section;
        var anyEnabled = false;
        for (var i = 0; i < options.Sources.Count; i++)
        {
            var s = options.Sources[i];
            var at = $"{root}:Sources:{i}:Subscriptions";
            if (!s.Subscriptions.Enabled)
            {
                continue;
            }

            anyEnabled = true;
            if (s.Kind != SourceKind.Rest)
            {
                yield return $"{at}:Enabled is only for Rest sources (source '{s.Name}' is {s.Kind})";
                continue;
            }

            if (FhirBridgeOptionsValidator.Secret(s.Subscriptions.Secret, s.Subscriptions.SecretFile) is not { Length: >= SubscriptionOptions.MinimumSecretLength })
            {
                yield return $"{at}:Secret is missing or shorter than {SubscriptionOptions.MinimumSecretLength} characters: set it through the environment ({root}__Sources__{i}__Subscriptions__Secret) or {at}:SecretFile";
            }
        }

        if (options.PublicBaseUrl is { Length: > 0 } text)
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)
                || url.Query.Length > 0 || url.Fragment.Length > 0)
            {
                yield return $"{root}:PublicBaseUrl must be an absolute http(s) URL without query or fragment (was '{text}')";
            }
        }
        else if (anyEnabled)
        {
            yield return $"{root}:PublicBaseUrl is required when a source has Subscriptions:Enabled: the URL hospital servers reach FhirBridge's notification endpoint at";
        }
    }

    /// <summary>The secret of a source's subscriptions (value or file), or null.</summary>
    public static string? Secret(SubscriptionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return FhirBridgeOptionsValidator.Secret(options.Secret, options.SecretFile);
    }
}
