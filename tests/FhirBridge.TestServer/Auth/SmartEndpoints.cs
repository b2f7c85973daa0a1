using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using FhirBridge.TestServer.Http;
using Microsoft.AspNetCore.Http;

namespace FhirBridge.TestServer.Auth;

/// <summary>
/// SMART Backend Services discovery and token endpoint (https://hl7.org/fhir/smart-app-launch/backend-services.html).
/// Both answer 404 unless the server's auth is <see cref="FhirTestAuthKind.SmartBackend"/>. Token errors are 400 with
/// an OAuth error body (RFC 6749 section 5.2).
/// </summary>
internal sealed partial class SmartEndpoints(ServerContext server)
{
    public async Task ConfigurationAsync(HttpContext context)
    {
        RequireSmart();
        var body = Json(w =>
        {
            w.WriteString("issuer", server.Origin.TrimEnd('/'));
            w.WriteString("token_endpoint", server.TokenUrl);
            Array(w, "grant_types_supported", "client_credentials");
            Array(w, "token_endpoint_auth_methods_supported", "private_key_jwt");
            Array(w, "token_endpoint_auth_signing_alg_values_supported", "RS384", "ES384");
            Array(w, "scopes_supported", "system/*.read", "system/*.rs", "system/*.*", "system/*.cruds");
            Array(w, "capabilities", "client-confidential-asymmetric", "permission-v1", "permission-v2");
        });
        await HttpIo.WriteAsync(context, 200, body, HttpIo.Json);
    }

    public async Task TokenAsync(HttpContext context)
    {
        RequireSmart();
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.Pragma = "no-cache";
        if (!context.Request.HasFormContentType)
        {
            await ErrorAsync(context, "invalid_request", "The token request must be application/x-www-form-urlencoded.");
            return;
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        if (form["grant_type"] != "client_credentials")
        {
            await ErrorAsync(context, "unsupported_grant_type", "grant_type must be client_credentials.");
            return;
        }

        if (form["client_assertion_type"] != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        {
            await ErrorAsync(context, "invalid_request", "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer.");
            return;
        }

        var scope = form["scope"].ToString();
        if (scope.Length == 0 || !scope.Split(' ', StringSplitOptions.RemoveEmptyEntries).All(s => ScopePattern().IsMatch(s)))
        {
            await ErrorAsync(context, "invalid_scope", "scope must be SMART system scopes, such as system/*.read or system/Procedure.rs.");
            return;
        }

        string clientId;
        try
        {
            clientId = server.Assertions.Validate(form["client_assertion"].ToString(), server.TokenUrl);
        }
        catch (AssertionException e)
        {
            await ErrorAsync(context, "invalid_client", e.Message);
            return;
        }

        if (form.TryGetValue("client_id", out var formClient) && formClient != clientId)
        {
            await ErrorAsync(context, "invalid_client", "client_id does not match the assertion's iss.");
            return;
        }

        var token = server.Tokens.Issue(clientId, scope, server.Options.TokenLifetime);
        var body = Json(w =>
        {
            w.WriteString("access_token", token.Value);
            w.WriteString("token_type", "bearer");
            w.WriteNumber("expires_in", (long)server.Options.TokenLifetime.TotalSeconds);
            w.WriteString("scope", scope);
        });
        await HttpIo.WriteAsync(context, 200, body, HttpIo.Json);
    }

    private static async Task ErrorAsync(HttpContext context, string error, string description)
    {
        var body = Json(w =>
        {
            w.WriteString("error", error);
            w.WriteString("error_description", description);
        });
        await HttpIo.WriteAsync(context, 400, body, HttpIo.Json);
    }

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void Array(Utf8JsonWriter w, string name, params string[] values)
    {
        w.WriteStartArray(name);
        foreach (var value in values)
        {
            w.WriteStringValue(value);
        }

        w.WriteEndArray();
    }

    private void RequireSmart()
    {
        if (server.Options.Auth.Kind != FhirTestAuthKind.SmartBackend)
        {
            throw FhirException.NotFound(string.Create(CultureInfo.InvariantCulture,
                $"This server's auth is {server.Options.Auth.Kind}, not SMART Backend Services."));
        }
    }

    [GeneratedRegex(@"^system/(\*|[A-Z][A-Za-z]+)\.(read|write|\*|c?r?u?d?s?)$", RegexOptions.CultureInvariant)]
    private static partial Regex ScopePattern();
}
