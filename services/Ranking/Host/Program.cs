using Recommender.Ranking;
using Recommender.ServiceDefaults.Hosting;
using Recommender.ServiceDefaults.Messaging;

var builder = WebApplication.CreateBuilder(args);
builder.AddRecommenderDefaults();
builder.AddRankingServices();
builder.AddRecommenderMessaging();

var app = builder.Build();
app.MapRecommenderDefaults();
app.MapRankingEndpoints();
app.Run();
