using FhirBridge.Cli.Configuration;
using FhirBridge.Cli.Web.Admin;

namespace FhirBridge.Tests.Web.Admin;

/// <summary>The admin password hash and the admin settings' checks.</summary>
public sealed class AdminPasswordTests
{
    // The fewest iterations the format accepts, so the tests stay fast; the command uses the default.
    private const int Fast = AdminPassword.MinimumIterations;

    [Fact]
    public void Verify_TheSamePassword_Matches_AnyOtherDoesNot()
    {
        var hash = AdminPassword.Hash("correct horse battery", Fast);

        Assert.True(AdminPassword.Verify("correct horse battery", hash));
        Assert.False(AdminPassword.Verify("correct horse batterY", hash));
        Assert.False(AdminPassword.Verify("", hash));
    }

    [Fact]
    public void Hash_IsSaltedAndInTheDocumentedFormat()
    {
        var first = AdminPassword.Hash("correct horse battery", Fast);
        var second = AdminPassword.Hash("correct horse battery", Fast);

        Assert.NotEqual(first, second);
        var parts = first.Split('$');
        Assert.Equal(["pbkdf2-sha256", "100000"], parts[..2]);
        Assert.Equal(16, Convert.FromBase64String(parts[2]).Length);
        Assert.Equal(32, Convert.FromBase64String(parts[3]).Length);
    }

    [Fact]
    public void Verify_AHashMadeElsewhereWithPbkdf2Sha256_Matches()
    {
        // A hash made by another tool (here .NET's PBKDF2 directly, as `openssl kdf` or Python's hashlib would) verifies:
        // the format is plain PBKDF2-HMAC-SHA256, not something only FhirBridge can write.
        var salt = Convert.ToBase64String("0123456789abcdef"u8.ToArray());
        var hash = Convert.ToBase64String(System.Security.Cryptography.Rfc2898DeriveBytes.Pbkdf2("passwd"u8.ToArray(), "0123456789abcdef"u8.ToArray(), Fast, System.Security.Cryptography.HashAlgorithmName.SHA256, 32));

        Assert.True(AdminPassword.Verify("passwd", $"pbkdf2-sha256${Fast}${salt}${hash}"));
    }

    [Theory]
    [InlineData("plain-text-password")]
    [InlineData("pbkdf2-sha1$600000$c2FsdHNhbHRzYWx0c2FsdA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("pbkdf2-sha256$1000$c2FsdHNhbHRzYWx0c2FsdA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("pbkdf2-sha256$600000$c2FsdA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("pbkdf2-sha256$600000$c2FsdHNhbHRzYWx0c2FsdA==$not-base64")]
    public void Validate_MalformedHash_StopsStartUpNamingTheSetting(string hash)
    {
        var failures = AdminOptions.Failures(new AdminOptions { PasswordHash = hash }, "FhirBridge:Admin").ToList();

        Assert.StartsWith("FhirBridge:Admin:PasswordHash ", Assert.Single(failures), StringComparison.Ordinal);
        Assert.False(AdminPassword.Verify("anything", hash));
    }

    [Fact]
    public void Validate_ShortApiKey_NamesItsIndex()
    {
        var failures = AdminOptions.Failures(new AdminOptions { ApiKeys = [new string('k', 40), "short"] }, "FhirBridge:Admin").ToList();

        Assert.StartsWith("FhirBridge:Admin:ApiKeys:1 must be at least 32 characters", Assert.Single(failures), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NothingSet_IsValidButDisabled()
    {
        var options = new AdminOptions();

        Assert.Empty(AdminOptions.Failures(options, "FhirBridge:Admin"));
        Assert.False(options.Enabled);
    }
}
