using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Recommender.ServiceDefaults.Hosting;
using Recommender.ServiceDefaults.Messaging;
using Recommender.Vector.Consumers;
using Recommender.Vector.Grpc;
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

    public static WebApplication MapVectorEndpoints(this WebApplication app)
    {
        app.MapGrpcService<VectorGrpcService>();
        return app;
    }
}
