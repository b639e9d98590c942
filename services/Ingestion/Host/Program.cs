using Recommender.Ingestion;
using Recommender.ServiceDefaults.Hosting;
using Recommender.ServiceDefaults.Messaging;

var builder = WebApplication.CreateBuilder(args);
builder.AddRecommenderDefaults();
builder.AddIngestionServices();
builder.AddRecommenderMessaging();

var app = builder.Build();
app.MapRecommenderDefaults();
app.MapIngestionEndpoints();
app.Run();
