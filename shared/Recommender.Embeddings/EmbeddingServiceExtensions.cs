using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Recommender.Embeddings.Remote;

namespace Recommender.Embeddings;

public static class EmbeddingServiceExtensions
{
    /// <summary>
    /// Registers the embedder that ingestion (pins) and ranking (queries) share, picked once from "Embeddings:Provider":
    /// the in-house model (falling back to the hashing embedder, with a warning, when its artifact is missing) or an
    /// OpenAI-compatible endpoint. Safe to call from several services in one process: the first registration wins, so
    /// both sides always use the same model version.
    /// </summary>
    public static IHostApplicationBuilder AddRecommenderEmbeddings(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<EmbeddingOptions>().BindConfiguration(EmbeddingOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddHttpClient(nameof(OpenAICompatibleEmbeddingGenerator), c => c.Timeout = Timeout.InfiniteTimeSpan);
        builder.Services.TryAddSingleton<ITextEmbedder>(sp => LocalEmbedderLoader.Load(
            sp.GetRequiredService<IOptions<EmbeddingOptions>>().Value, sp.GetRequiredService<ILogger<LocalEmbeddingGenerator>>()));
        builder.Services.TryAddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<EmbeddingOptions>>().Value;
            return options.Provider == EmbeddingProvider.OpenAICompatible
                ? new OpenAICompatibleEmbeddingGenerator(
                    sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(OpenAICompatibleEmbeddingGenerator)), options)
                : new LocalEmbeddingGenerator(sp.GetRequiredService<ITextEmbedder>());
        });
        return builder;
    }
}
