using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Recommender.ServiceDefaults.Hosting;

namespace Recommender.UnitTests;

/// <summary>OpenTelemetry is wired only when there is somewhere to send it (an OTLP endpoint).</summary>
public sealed class TelemetryRegistrationTests
{
    [Fact]
    public async Task AddRecommenderDefaults_NoOtlpEndpoint_RegistersNoTracerOrMeterProvider()
    {
        await using var app = Build(endpoint: null);

        Assert.Null(app.Services.GetService<TracerProvider>());
        Assert.Null(app.Services.GetService<MeterProvider>());
    }

    [Fact]
    public async Task AddRecommenderDefaults_OtlpEndpoint_RegistersTracerAndMeterProviders()
    {
        await using var app = Build(endpoint: "http://127.0.0.1:4317");

        Assert.NotNull(app.Services.GetService<TracerProvider>());
        Assert.NotNull(app.Services.GetService<MeterProvider>());
    }

    private static WebApplication Build(string? endpoint)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint ?? "";
        builder.AddRecommenderDefaults();
        return builder.Build();
    }
}
