using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Recommender.Embeddings;

public static class EmbeddingServiceExtensions
{
    /// <summary>
    /// Registers the embedder that ingestion (pins) and ranking (queries) share. Safe to call from several services
    /// in one process: the first registration wins, so both sides always use the same model version.
    /// </summary>
    public static IHostApplicationBuilder AddRecommenderEmbeddings(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<EmbeddingOptions>().BindConfiguration(EmbeddingOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.TryAddSingleton<ITextEmbedder>(sp =>
            new HashingEmbedder(sp.GetRequiredService<IOptions<EmbeddingOptions>>().Value.Dimensions));
        builder.Services.TryAddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(sp =>
            new LocalEmbeddingGenerator(sp.GetRequiredService<ITextEmbedder>()));
        return builder;
    }
}
