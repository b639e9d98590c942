using Google.Protobuf.Reflection;
using Google.Rpc;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Recommender.ServiceDefaults.Grpc;
using Recommender.ServiceDefaults.Security;

namespace Recommender.ServiceDefaults.Hosting;

/// <summary>What every Recommender host has: gRPC with the exception interceptor, reflection, JSON transcoding,
/// health (HTTP and the standard gRPC health service) and OpenTelemetry.</summary>
public static class RecommenderDefaultsExtensions
{
    public const string LiveTag = "live";
    public const string ReadyTag = "ready";

    public static IHostApplicationBuilder AddRecommenderDefaults(this IHostApplicationBuilder builder)
    {
        builder.Services
            .AddGrpc(options =>
            {
                options.Interceptors.Add<ExceptionInterceptor>();
                options.MaxReceiveMessageSize = 16 * 1024 * 1024;
                options.EnableDetailedErrors = false;
            })
            // Error details travel as google.protobuf.Any; JSON needs their descriptors to render them.
            .AddJsonTranscoding(o => o.TypeRegistry = TypeRegistry.FromMessages(BadRequest.Descriptor, ErrorInfo.Descriptor));
        builder.Services.AddGrpcReflection();
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);
        builder.Services.AddGrpcHealthChecks(o =>
        {
            // The gRPC health service reports readiness (what k8s probes and load balancers ask).
            o.Services.Map("", r => r.Tags.Contains(ReadyTag) || r.Tags.Contains(LiveTag));
        });

        builder.AddRecommenderSecurity();
        builder.AddRecommenderTelemetry();
        return builder;
    }

    private static void AddRecommenderTelemetry(this IHostApplicationBuilder builder)
    {
        // Only when an OTLP collector is configured: without an exporter nothing reads the SDK's traces or metrics, and
        // its listener would still make every request build, tag and drop an Activity. The framework's own meters stay
        // readable by dotnet-counters either way.
        if (string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            return;
        }

        builder.Services.AddOpenTelemetry()
            .WithTracing(t => t.AddAspNetCoreInstrumentation().AddSource("MassTransit", "Recommender"))
            .WithMetrics(m => m.AddAspNetCoreInstrumentation().AddMeter("MassTransit", "Recommender"))
            .UseOtlpExporter();
    }

    public static WebApplication MapRecommenderDefaults(this WebApplication app)
    {
        app.UseRecommenderSecurity();
        app.UseMiddleware<GrpcMessageValidationMiddleware>();
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = r => r.Tags.Contains(LiveTag) });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains(ReadyTag) || r.Tags.Contains(LiveTag),
        });
        app.MapGrpcReflectionService();
        app.MapGrpcHealthChecksService();
        return app;
    }
}
