using System.ComponentModel.DataAnnotations;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Recommender.ServiceDefaults.Security;

public static class SecurityExtensions
{
    /// <summary>API-key authentication, role policies and per-key rate limiting (section "Auth").</summary>
    public static IHostApplicationBuilder AddRecommenderSecurity(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => o.Mode != AuthMode.ApiKeys || o.Keys.Count > 0,
                "Auth:Mode is ApiKeys but Auth:Keys is empty: configure at least one hashed key (or Auth:Mode=Development for a local install).")
            .Validate(o => o.Keys.All(k => k.Tenant != "*" || k.Role == ApiKeyRole.Service),
                "Only Service keys may use the tenant '*'.")
            .Validate(o => o.Keys.Select(k => k.Hash).Distinct(StringComparer.Ordinal).Count() == o.Keys.Count,
                "Auth:Keys has the same key hash twice.")
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<AuthOptions>, AuthKeysValidator>();
        builder.Services.AddSingleton<ApiKeyRegistry>();
        builder.Services.AddHostedService<AuthModeReporter>();

        builder.Services.AddAuthentication(RecommenderClaims.Scheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(RecommenderClaims.Scheme, _ => { });
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Storefront, p => p.RequireRole(nameof(ApiKeyRole.Storefront), nameof(ApiKeyRole.Admin)))
            .AddPolicy(Policies.Admin, p => p.RequireRole(nameof(ApiKeyRole.Admin)))
            .AddPolicy(Policies.Service, p => p.RequireRole(nameof(ApiKeyRole.Service)));

        builder.Services.AddRateLimiter(o =>
        {
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                var auth = context.RequestServices.GetRequiredService<IOptions<AuthOptions>>().Value;
                var key = context.User.KeyIdOf();
                var entry = key is null ? null : auth.Keys.Find(k => k.Id == key);
                var rate = entry?.PermitsPerSecond ?? auth.PermitsPerSecond;
                return key is null || rate == 0
                    ? RateLimitPartition.GetNoLimiter("unlimited")
                    : RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = entry?.Burst ?? auth.Burst,
                        TokensPerPeriod = rate,
                        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                        QueueLimit = 0,
                        AutoReplenishment = true,
                    });
            });
            o.OnRejected = (context, _) => RejectAsync(context.HttpContext);
        });
        return builder;
    }

    public static WebApplication UseRecommenderSecurity(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();
        return app;
    }

    /// <summary>gRPC callers get RESOURCE_EXHAUSTED (a trailers-only response); HTTP/JSON callers get 429.</summary>
    private static ValueTask RejectAsync(HttpContext context)
    {
        const string message = "Rate limit exceeded for this API key; slow down and retry.";
        if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true)
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/grpc";
            context.Response.Headers["grpc-status"] = "8";
            context.Response.Headers["grpc-message"] = Uri.EscapeDataString(message);
            return ValueTask.CompletedTask;
        }

        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = "1";
        return new ValueTask(context.Response.WriteAsync(message));
    }
}
