using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Recommender.ServiceDefaults.Security;

/// <summary>
/// Authenticates <c>authorization: Bearer &lt;key&gt;</c> or <c>x-api-key: &lt;key&gt;</c> (gRPC metadata or HTTP headers)
/// against the hashed keys in <see cref="AuthOptions"/>. The principal carries the key's tenant and role; services
/// take the tenant from it, never from the request body.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyRegistry registry) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (registry.Mode == AuthMode.Development)
        {
            return Task.FromResult(Success(registry.DevelopmentKey, Enum.GetValues<ApiKeyRole>()));
        }

        var key = ReadKey();
        if (key is null)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        return Task.FromResult(registry.Find(key) is { } entry
            ? Success(entry, [entry.Role])
            : AuthenticateResult.Fail("Unknown API key."));
    }

    private string? ReadKey()
    {
        var headers = Request.Headers;
        var authorization = headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization["Bearer ".Length..].Trim();
        }

        var apiKey = headers["x-api-key"].ToString();
        return string.IsNullOrWhiteSpace(apiKey) ? null : apiKey.Trim();
    }

    private AuthenticateResult Success(ApiKeyEntry entry, IEnumerable<ApiKeyRole> roles)
    {
        List<Claim> claims =
        [
            new(ClaimTypes.Name, entry.Id),
            new(RecommenderClaims.KeyId, entry.Id),
            new(RecommenderClaims.Tenant, entry.Tenant),
        ];
        claims.AddRange(roles.Select(r => new Claim(ClaimTypes.Role, r.ToString())));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme.Name));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name));
    }
}
