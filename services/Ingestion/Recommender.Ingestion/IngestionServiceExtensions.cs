using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Recommender.Embeddings;
using Recommender.Ingestion.Grpc;
using Recommender.Ingestion.Import;
using Recommender.Ingestion.Pipeline;

namespace Recommender.Ingestion;

public static class IngestionServiceExtensions
{
    public static IHostApplicationBuilder AddIngestionServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<IngestionOptions>().BindConfiguration(IngestionOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.AddRecommenderEmbeddings();
        builder.Services.AddSingleton<PinEmbedder>();
        builder.Services.AddScoped<PinPublisher>();
        builder.Services.AddScoped<CatalogImporter>();
        builder.Services.AddSingleton<ImportJobRegistry>();
        return builder;
    }

    public static WebApplication MapIngestionEndpoints(this WebApplication app)
    {
        app.MapGrpcService<IngestionGrpcService>();
        return app;
    }
}
