namespace Recommender.Embedded;

public static class SampleCatalogExtensions
{
    public static IHostApplicationBuilder AddSampleCatalogSeeding(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SampleCatalogOptions>().BindConfiguration(SampleCatalogOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddHostedService<SampleCatalogSeeder>();
        return builder;
    }
}
