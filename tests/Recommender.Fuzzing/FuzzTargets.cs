using Google.Protobuf;
using Microsoft.Extensions.Options;
using Recommender.Contracts.Catalog.V1;
using Recommender.Contracts.Ranking.V1;
using Recommender.Ingestion;
using Recommender.Ingestion.Import;
using Recommender.Ranking;
using Recommender.Ranking.Grpc;
using Recommender.Ranking.Intent;
using Recommender.ServiceDefaults.Grpc;

namespace Recommender.Fuzzing;

/// <summary>
/// The parsers and validators that face untrusted input. Each target may reject its input only in the documented
/// way (a row error, a validation exception, a protobuf decoding error); any other exception is a bug the fuzzer
/// reports as a crash.
/// </summary>
public static class FuzzTargets
{
    private static readonly RankingOptions Ranking = Options.Create(new RankingOptions()).Value;

    public static readonly IReadOnlyDictionary<string, Action<byte[]>> All = new Dictionary<string, Action<byte[]>>
    {
        ["catalog-line"] = bytes => CatalogLine(System.Text.Encoding.UTF8.GetString(bytes)),
        ["intent"] = bytes => Intent(System.Text.Encoding.UTF8.GetString(bytes)),
        ["pin"] = PinMessage,
        ["search-request"] = SearchRequestMessage,
    };

    public static void CatalogLine(string line)
    {
        var row = JsonlCatalogReader.ParseLine(1, line);
        if ((row.Pin is null) == (row.Error is null))
        {
            throw new InvalidOperationException("A catalog row must be either a pin or an error.");
        }
    }

    public static void Intent(string query)
    {
        var intent = EmbeddedIntentParser.GrammarOnly.Parse(query);
        foreach (var span in intent.Spans)
        {
            if (span.Start < 0 || span.Length < 0 || span.Start + span.Length > intent.NormalizedQuery.Length)
            {
                throw new InvalidOperationException($"Span {span} is outside the query.");
            }
        }

        if (intent.PriceMin is { } min && (double.IsNaN(min) || min < 0) || intent.PriceMax is { } max && (double.IsNaN(max) || max < 0))
        {
            throw new InvalidOperationException("Price bounds must be non-negative numbers.");
        }
    }

    public static void PinMessage(byte[] bytes)
    {
        Pin pin;
        try
        {
            pin = Pin.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException)
        {
            return;
        }

        PinValidator.Validate(pin, "pin", new Violations());
    }

    public static void SearchRequestMessage(byte[] bytes)
    {
        SearchRequest request;
        try
        {
            request = SearchRequest.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException)
        {
            return;
        }

        try
        {
            RankingRequestValidator.Validate(request, Ranking);
        }
        catch (RequestValidationException)
        {
            return;
        }

        Intent(request.Query);
    }
}
