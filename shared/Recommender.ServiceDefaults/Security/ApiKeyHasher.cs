using System.Security.Cryptography;
using System.Text;

namespace Recommender.ServiceDefaults.Security;

/// <summary>
/// API keys are 256-bit random strings, so a single SHA-256 is the right hash at rest (a slow password hash buys
/// nothing against a key of that entropy and would cost every request).
/// </summary>
public static class ApiKeyHasher
{
    public const string Prefix = "rk_";

    public static string NewKey() => Prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    public static string Hash(string key) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
