using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Recommender.ServiceDefaults.Messaging;
using Recommender.Vector.Consumers;
using Recommender.Vector.Grpc;
using Recommender.Vector.Storage;
using Recommender.Vector.Storage.Embedded;

namespace Recommender.Vector;

public static class VectorServiceExtensions
{
    /// <summary>Registers the vector store chosen by "Vector:Backend", its consumers and its gRPC service.</summary>
    public static IHostApplicationBuilder AddVectorServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<VectorSearchOptions>().BindConfiguration(VectorSearchOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<EmbeddedStoreOptions>().BindConfiguration(EmbeddedStoreOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();

        builder.Services.AddSingleton<EmbeddedVectorStore>();
        builder.Services.AddSingleton<IVectorStore>(sp => sp.GetRequiredService<EmbeddedVectorStore>());

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
