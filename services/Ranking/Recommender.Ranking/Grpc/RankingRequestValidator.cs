using Recommender.Contracts.Ranking.V1;
using Recommender.ServiceDefaults.Grpc;

namespace Recommender.Ranking.Grpc;

/// <summary>Edge validation of the public ranking API.</summary>
public static class RankingRequestValidator
{
    public static void Validate(SearchRequest request, RankingOptions options)
    {
        var v = new Violations();
        if (string.IsNullOrWhiteSpace(request.Query))
        {
            v.Add("query", "The query must not be empty.");
        }
        else if (request.Query.Length > options.MaxQueryLength)
        {
            v.Add("query", $"At most {options.MaxQueryLength} characters.");
        }

        CheckPageSize(v, request.PageSize, options);
        CheckToken(v, request.PageToken);
        CheckId(v, "user_id", request.UserId);
        CheckId(v, "session_id", request.SessionId);
        if (request.Filters is { } f)
        {
            if (f.HasPriceMin && (double.IsNaN(f.PriceMin) || f.PriceMin < 0))
            {
                v.Add("filters.price_min", "Must be >= 0.");
            }

            if (f.HasPriceMax && (double.IsNaN(f.PriceMax) || f.PriceMax < 0))
            {
                v.Add("filters.price_max", "Must be >= 0.");
            }

            if (f.HasPriceMin && f.HasPriceMax && f.PriceMin > f.PriceMax)
            {
                v.Add("filters.price_min", "Must not exceed filters.price_max.");
            }

            CheckValues(v, "filters.brands", f.Brands);
            CheckValues(v, "filters.exclude_brands", f.ExcludeBrands);
            CheckValues(v, "filters.categories", f.Categories);
        }

        v.ThrowIfAny();
    }

    public static void Validate(RelatedPinsRequest request, RankingOptions options)
    {
        var v = new Violations();
        if (string.IsNullOrWhiteSpace(request.PinId))
        {
            v.Add("pin_id", "Name the pin to find related pins for.");
        }

        CheckId(v, "pin_id", request.PinId);
        CheckToken(v, request.PageToken);

        CheckPageSize(v, request.PageSize, options);
        v.ThrowIfAny();
    }

    public static void Validate(HomeFeedRequest request, RankingOptions options)
    {
        var v = new Violations();
        CheckId(v, "user_id", request.UserId);
        CheckId(v, "session_id", request.SessionId);
        CheckToken(v, request.PageToken);
        CheckPageSize(v, request.PageSize, options);
        v.ThrowIfAny();
    }

    public static void Validate(TrackEngagementRequest request, RankingOptions options)
    {
        var v = new Violations();
        if (request.Events.Count == 0)
        {
            v.Add("events", "Send at least one event.");
        }
        else if (request.Events.Count > options.MaxEngagementBatch)
        {
            v.Add("events", $"At most {options.MaxEngagementBatch} events per call.");
        }

        for (var i = 0; i < request.Events.Count; i++)
        {
            var e = request.Events[i];
            if (string.IsNullOrWhiteSpace(e.PinId))
            {
                v.Add($"events[{i}].pin_id", "Required.");
            }

            if (e.Kind == EngagementKind.Unspecified || !Enum.IsDefined(e.Kind))
            {
                v.Add($"events[{i}].kind", "Use impression, click, save, add_to_cart or purchase.");
            }

            if (string.IsNullOrWhiteSpace(e.UserId) && string.IsNullOrWhiteSpace(e.SessionId))
            {
                v.Add($"events[{i}].user_id", "Give a user id or a session id.");
            }

            CheckId(v, $"events[{i}].pin_id", e.PinId);
            CheckId(v, $"events[{i}].user_id", e.UserId);
            CheckId(v, $"events[{i}].session_id", e.SessionId);
            CheckId(v, $"events[{i}].query_id", e.QueryId);
            if (e.IdempotencyKey.Length > 200)
            {
                v.Add($"events[{i}].idempotency_key", "At most 200 characters.");
            }
        }

        v.ThrowIfAny();
    }

    public const int MaxIdLength = 128;
    public const int MaxFilterValues = 50;
    public const int MaxFilterValueLength = 200;

    private static void CheckId(Violations v, string field, string value)
    {
        if (value.Length > MaxIdLength)
        {
            v.Add(field, $"At most {MaxIdLength} characters.");
        }
    }

    private static void CheckToken(Violations v, string token)
    {
        if (token.Length > 256)
        {
            v.Add("page_token", "Not a token from a previous page of this same request.");
        }
    }

    private static void CheckValues(Violations v, string field, IReadOnlyList<string> values)
    {
        if (values.Count > MaxFilterValues)
        {
            v.Add(field, $"At most {MaxFilterValues} values.");
        }

        for (var i = 0; i < values.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(values[i]) || values[i].Length > MaxFilterValueLength)
            {
                v.Add($"{field}[{i}]", $"Must be 1-{MaxFilterValueLength} characters.");
            }
        }
    }

    private static void CheckPageSize(Violations v, int pageSize, RankingOptions options)
    {
        if (pageSize < 0 || pageSize > options.MaxPageSize)
        {
            v.Add("page_size", $"Must be between 1 and {options.MaxPageSize} (0 means {options.DefaultPageSize}).");
        }
    }
}
