using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Recommender.ServiceDefaults.Security;

/// <summary>Says at start how callers are authenticated, loudly when they are not.</summary>
internal sealed partial class AuthModeReporter(IOptions<AuthOptions> options, ILogger<AuthModeReporter> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (o.Mode == AuthMode.Development)
        {
            LogDevelopment(logger, o.DevelopmentTenant);
        }
        else
        {
            LogKeys(logger, o.Keys.Count, o.Keys.Select(k => k.Tenant).Distinct().Count());
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning,
        Message = "Auth:Mode=Development: NO authentication, every caller is an admin of tenant '{Tenant}'. Use only for a local install bound to 127.0.0.1.")]
    private static partial void LogDevelopment(ILogger logger, string tenant);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "API-key authentication on: {Keys} keys for {Tenants} tenants")]
    private static partial void LogKeys(ILogger logger, int keys, int tenants);
}
