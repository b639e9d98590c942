using Recommender.ServiceDefaults.Hosting;
using Recommender.ServiceDefaults.Messaging;
using Recommender.Vector;

var builder = WebApplication.CreateBuilder(args);
builder.AddRecommenderDefaults();
builder.AddVectorServices();
builder.AddRecommenderMessaging();

var app = builder.Build();
app.MapRecommenderDefaults();
app.MapVectorEndpoints();
app.Run();
