using Recommender.Embedded;
using Recommender.Ingestion;
using Recommender.Ranking;
using Recommender.ServiceDefaults.Hosting;
using Recommender.ServiceDefaults.Messaging;
using Recommender.Vector;

// The whole system in one process: the three services, an in-memory bus, the embedded vector store. The Vector gRPC API
// stays served for other clients; Ranking's own vector calls skip the network.
var builder = WebApplication.CreateBuilder(args);
builder.AddRecommenderDefaults();
builder.AddIngestionServices();
builder.AddVectorServices();
builder.AddRankingServices();
// Ranking calls this process's vector service directly (same validation and statuses, no loopback gRPC hop).
builder.AddInProcessVectorClient();
builder.AddRecommenderMessaging();
builder.AddSampleCatalogSeeding();

var app = builder.Build();
app.MapRecommenderDefaults();
app.MapIngestionEndpoints();
app.MapVectorEndpoints();
app.MapRankingEndpoints();
app.Run();
