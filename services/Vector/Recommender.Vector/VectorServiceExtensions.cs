using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using System.Security.Claims;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Recommender.ServiceDefaults.Hosting;
using Recommender.ServiceDefaults.Messaging;
using Recommender.Vector.Consumers;
using Recommender.Contracts.Vector.V1;
using Recommender.ServiceDefaults.Security;
using Recommender.Vector.Grpc;
using Recommender.Vector.Grpc.InProcess;
using Recommender.Vector.Storage;
using Recommender.Vector.Storage.Embedded;
using Recommender.Vector.Storage.Qdrant;

namespace Recommender.Vector;

public static class VectorServiceExtensions
{
    /// <summary>Registers the vector store chosen by "Vector:Backend" (Embedded or Qdrant), its consumers and its
    /// gRPC service.</summary>
    public static IHostApplicationBuilder AddVectorServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<VectorSearchOptions>().BindConfiguration(VectorSearchOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();

        // Read once here to pick the backend; each backend validates its own options at start.
        var backend = builder.Configuration.GetSection(VectorSearchOptions.Section)
            .GetValue(nameof(VectorSearchOptions.Backend), VectorBackend.Embedded);
        if (backend == VectorBackend.Qdrant)
        {
            builder.Services.AddOptions<QdrantOptions>().BindConfiguration(QdrantOptions.Section)
                .ValidateDataAnnotations()
                .Validate(o => o.Dimensions is null == string.IsNullOrEmpty(o.EmbedderVersion),
                    "Set both Vector:Qdrant:Dimensions and Vector:Qdrant:EmbedderVersion, or neither.")
                .ValidateOnStart();
            builder.Services.AddSingleton<QdrantVectorStore>();
            builder.Services.AddSingleton<IVectorStore>(sp => sp.GetRequiredService<QdrantVectorStore>());
            builder.Services.AddHealthChecks().AddCheck<QdrantHealthCheck>("qdrant", tags: [RecommenderDefaultsExtensions.ReadyTag]);
        }
        else
        {
            builder.Services.AddOptions<EmbeddedStoreOptions>().BindConfiguration(EmbeddedStoreOptions.Section)
                .ValidateDataAnnotations().ValidateOnStart();
            builder.Services.AddSingleton<EmbeddedVectorStore>();
            builder.Services.AddSingleton<IVectorStore>(sp => sp.GetRequiredService<EmbeddedVectorStore>());
        }

        builder.Services.AddRecommenderConsumers(x =>
        {
            x.AddConsumer<PinsEmbeddedConsumer>();
            x.AddConsumer<PinsDeletedConsumer>();
        });
        return builder;
    }

    /// <summary>For hosts that load a catalog and then measure (load client, CLI <c>rank</c>): returns once the embedded
    /// store's clustered indexes are built from what is stored now (<see cref="EmbeddedVectorStore.WaitForIndexesAsync"/>),
    /// so the measured searches use them. Returns at once with another backend.</summary>
    public static Task WaitForVectorIndexesAsync(this IServiceProvider services, CancellationToken cancellationToken) =>
        services.GetService<EmbeddedVectorStore>()?.WaitForIndexesAsync(cancellationToken) ?? Task.CompletedTask;

    /// <summary>Whether the embedded store's clustered indexes are calibrated (<see cref="EmbeddedVectorStore.IndexesCalibrated"/>);
    /// true with another backend.</summary>
    public static bool VectorIndexesCalibrated(this IServiceProvider services) =>
        services.GetService<EmbeddedVectorStore>()?.IndexesCalibrated ?? true;

    /// <summary>
    /// For hosts that run Vector and Ranking in one process (services/Embedded, the CLI's rank host, the load client):
    /// the <see cref="VectorService.VectorServiceClient"/> that Ranking injects calls this process's
    /// <see cref="VectorGrpcService"/> directly (<see cref="InProcessCallInvoker"/>: no HTTP/2, no serialization, the
    /// same validation and error statuses) instead of over loopback gRPC. Call after <c>AddRankingServices()</c> and
    /// <see cref="AddVectorServices"/>; the separate-process deployment does not call it and keeps real gRPC.
    /// The in-process caller acts as a service key for any tenant (the tenant its requests name).
    /// </summary>
    public static IHostApplicationBuilder AddInProcessVectorClient(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton(sp => InProcessCallInvoker.Create<VectorGrpcService>(
            sp, VectorService.BindService, InProcessCaller));
        builder.Services.RemoveAll<VectorService.VectorServiceClient>();
        builder.Services.AddSingleton(sp => new VectorService.VectorServiceClient(sp.GetRequiredService<InProcessCallInvoker>()));
        return builder;
    }

    /// <summary>Who in-process vector calls come from: the host itself, with the rights of a service key.</summary>
    private static readonly ClaimsPrincipal InProcessCaller = new(new ClaimsIdentity(
        [
            new Claim(ClaimTypes.Name, "in-process"),
            new Claim(RecommenderClaims.KeyId, "in-process"),
            new Claim(RecommenderClaims.Tenant, "*"),
            new Claim(ClaimTypes.Role, nameof(ApiKeyRole.Service)),
        ],
        authenticationType: "InProcess"));

    public static WebApplication MapVectorEndpoints(this WebApplication app)
    {
        app.MapGrpcService<VectorGrpcService>();
        return app;
    }
}
