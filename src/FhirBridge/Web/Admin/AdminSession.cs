using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace FhirBridge.Cli.Web.Admin;

/// <summary>
/// The signed-in admin's session: a cookie holding its expiry and an HMAC-SHA256 of it under a key made at start.
/// Nothing to store, and a restart signs everyone out. The cookie is HttpOnly, SameSite=Strict and Secure (browsers
/// accept Secure cookies from loopback addresses over plain HTTP; anywhere else, put TLS in front).
/// </summary>
public sealed class AdminSession(TimeProvider clock, TimeSpan lifetime)
{
    /// <summary>The cookie's name: <c>__Host-</c> makes browsers insist on Secure, Path=/ and no Domain.</summary>
    public const string CookieName = "__Host-fhirbridge-admin";

    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);

    /// <summary>Signs the admin in on <paramref name="response"/>.</summary>
    public void Issue(HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var expires = clock.GetUtcNow() + lifetime;
        var payload = expires.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        response.Cookies.Append(CookieName, payload + "." + WebEncoders.Base64UrlEncode(Sign(payload)), new CookieOptions
        {
            HttpOnly = true,
            Secure = true,
            SameSite = SameSiteMode.Strict,
            Path = "/",
            Expires = expires,
        });
    }

    /// <summary>Signs the admin out on <paramref name="response"/>.</summary>
    public static void Clear(HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.Cookies.Delete(CookieName, new CookieOptions { HttpOnly = true, Secure = true, SameSite = SameSiteMode.Strict, Path = "/" });
    }

    /// <summary>Whether the request carries a session this process signed that has not expired.</summary>
    public bool IsValid(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Cookies[CookieName] is not { } cookie || cookie.Split('.') is not [var payload, var signature])
        {
            return false;
        }

        byte[] presented;
        try
        {
            presented = WebEncoders.Base64UrlDecode(signature);
        }
        catch (FormatException)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(presented, Sign(payload))
            && long.TryParse(payload, NumberStyles.None, CultureInfo.InvariantCulture, out var expires)
            && clock.GetUtcNow().ToUnixTimeSeconds() < expires;
    }

    private byte[] Sign(string payload) => HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes("fhirbridge-admin|" + payload));
}
