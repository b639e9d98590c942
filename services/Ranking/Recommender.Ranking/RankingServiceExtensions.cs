using Grpc.Core;
using Grpc.Net.Client.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Recommender.Contracts.Vector.V1;
using Recommender.Embeddings;
using Recommender.Ranking.Engagement;
using Recommender.Ranking.Grpc;
using Recommender.Ranking.Intent;
using Recommender.Ranking.Model;
using Recommender.Ranking.Pipeline;
using Recommender.Ranking.Pipeline.Tail;
using Recommender.ServiceDefaults.Messaging;
using Recommender.ServiceDefaults.Security;

namespace Recommender.Ranking;

public static class RankingServiceExtensions
{
    public static IHostApplicationBuilder AddRankingServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RankingOptions>().BindConfiguration(RankingOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => o.VectorAddress.IsAbsoluteUri, "Ranking:VectorAddress must be an absolute URI.")
            .Validate(o => o.DefaultPageSize <= o.MaxPageSize, "Ranking:DefaultPageSize must not exceed MaxPageSize.")
            .ValidateOnStart();
        builder.Services.AddOptions<RankingRulesOptions>().BindConfiguration(RankingRulesOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<RankingRulesOptions>, RankingRulesOptionsValidator>();
        builder.Services.AddOptions<DiversityOptions>().BindConfiguration(DiversityOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<PaginationOptions>().BindConfiguration(PaginationOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<RankerModelOptions>().BindConfiguration(RankerModelOptions.Section)
            .ValidateDataAnnotations()
            .Validate(RankerModelOptions.PathIsValid, "Ranking:Model:Path must be a ranker artifact folder holding manifest.json (or empty for the built-in model).")
            .ValidateOnStart();
        builder.Services.AddOptions<IntentOptions>().BindConfiguration(IntentOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<RemoteIntentOptions>().BindConfiguration(RemoteIntentOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => !o.Enabled || o.Endpoint is { IsAbsoluteUri: true },
                "Intent:Remote:Endpoint must be an absolute URI (e.g. http://localhost:11434/v1) when Intent:Remote:Enabled is true.")
            .ValidateOnStart();
        builder.AddRecommenderEmbeddings();

        builder.Services
            .AddGrpcClient<VectorService.VectorServiceClient>((sp, o) =>
                o.Address = sp.GetRequiredService<IOptions<RankingOptions>>().Value.VectorAddress)
            .AddCallCredentials((_, metadata, sp) =>
            {
                if (sp.GetRequiredService<IOptions<RankingOptions>>().Value.VectorApiKey is { Length: > 0 } key)
                {
                    metadata.Add(ApiKeyCallInvoker.Header, key);
                }

                return Task.CompletedTask;
            })
            .ConfigureChannel(c =>
            {
                // Inside the cluster the channel is plaintext h2c (mTLS by the mesh, see docs/security.md).
                c.UnsafeUseInsecureChannelCallCredentials = true;
                c.ServiceConfig = new ServiceConfig
            {
                // Retry only what is safe to retry: the vector service being briefly unreachable.
                MethodConfigs =
                {
                    new MethodConfig
                    {
                        Names = { MethodName.Default },
                        RetryPolicy = new RetryPolicy
                        {
                            MaxAttempts = 3,
                            InitialBackoff = TimeSpan.FromMilliseconds(50),
                            MaxBackoff = TimeSpan.FromMilliseconds(500),
                            BackoffMultiplier = 2,
                            RetryableStatusCodes = { StatusCode.Unavailable },
                        },
                    },
                },
            };
            });

        builder.Services.AddOptions<EngagementOptions>().BindConfiguration(EngagementOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => o.ReplayDays * 24 >= o.DedupeWindowHours, "Ranking:Engagement:ReplayDays must cover DedupeWindowHours.")
            .ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp => new EngagementState(sp.GetRequiredService<IOptions<EngagementOptions>>(), sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<IEngagementSignals>(sp => sp.GetRequiredService<EngagementState>());
        // Before the bus (AddRecommenderMessaging): replays the log before any consumer runs, closes it after the bus stops.
        builder.Services.AddSingleton<EngagementRecorder>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<EngagementRecorder>());
        builder.Services.AddScoped<HomeFeedBuilder>();
        builder.Services.AddSingleton<FeatureExtractor>();
        builder.Services.AddSingleton<RetrievedPins>();
        builder.Services.AddSingleton<RankerRegistry>();
        builder.Services.AddSingleton<Pipeline.QueryLog.QueryLogRegistry>();
        builder.Services.AddSingleton<BusinessRules>();
        builder.Services.AddSingleton<RankedListCache>();
        builder.Services.AddSingleton<RankerModelWatcher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RankerModelWatcher>());
        builder.Services.AddSingleton<RankingTail>();
        builder.Services.AddSingleton<IntentModelRegistry>();
        builder.Services.AddSingleton<IntentModelBuilder>();
        builder.Services.AddSingleton<IntentRefreshService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<IntentRefreshService>());
        builder.Services.AddSingleton(sp =>
        {
            var remote = sp.GetRequiredService<IOptions<RemoteIntentOptions>>();
            return new IntentService(
                sp.GetRequiredService<IntentModelRegistry>(),
                remote.Value.Enabled
                    ? new RemoteIntentParser(RemoteIntentParser.CreateClient(remote.Value), remote, sp.GetRequiredService<ILogger<RemoteIntentParser>>())
                    : null);
        });
        builder.Services.AddScoped<SearchPipeline>();
        builder.Services.AddRecommenderConsumers(x => x.AddConsumer<PinEngagedConsumer>(typeof(PinEngagedConsumerDefinition)));
        return builder;
    }

    public static WebApplication MapRankingEndpoints(this WebApplication app)
    {
        app.MapGrpcService<RankingGrpcService>();
        return app;
    }
}
