using Recommender.Contracts.Vector.V1;
using Recommender.ServiceDefaults.Grpc;
using Recommender.Vector.Storage;

namespace Recommender.Vector.Grpc;

/// <summary>Edge validation of the internal vector API; every problem is reported with its field path.</summary>
public static class VectorRequestValidator
{
    public const int MaxIds = 1_000;
    public const int DefaultListPageSize = 500;
    public const int MaxListPageSize = 1_000;

    public static void Validate(ListPinsRequest request)
    {
        var v = new Violations();
        RequireTenant(v, request.Tenant);
        if (request.PageSize < 0 || request.PageSize > MaxListPageSize)
        {
            v.Add("page_size", $"Must be between 1 and {MaxListPageSize} (0 means {DefaultListPageSize}).");
        }

        if (request.PageToken.Length > 0 && ReadListToken(request.PageToken) is null)
        {
            v.Add("page_token", "Not a token from a previous ListPins response.");
        }

        v.ThrowIfAny();
    }

    /// <summary>The page token is the last id of the previous page, base64url-encoded.</summary>
    public static string CreateListToken(string lastId) =>
        Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(lastId)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string? ReadListToken(string token)
    {
        if (token.Length == 0)
        {
            return null;
        }

        var padded = token.Replace('-', '+').Replace('_', '/');
        padded = padded.PadRight(padded.Length + ((4 - (padded.Length % 4)) % 4), '=');
        var bytes = new byte[padded.Length];
        return Convert.TryFromBase64String(padded, bytes, out var written) && written > 0
            ? System.Text.Encoding.UTF8.GetString(bytes, 0, written)
            : null;
    }

    public static void Validate(SearchRequest request, VectorSearchOptions options)
    {
        var v = new Violations();
        RequireTenant(v, request.Tenant);
        CheckLimit(v, request.Limit, options);
        if (request.Dense.Count == 0 && (request.Sparse is null || request.Sparse.Indices.Count == 0))
        {
            v.Add("dense", "Give a dense vector, a sparse vector, or both.");
        }

        CheckSparse(v, request.Sparse);
        CheckFilter(v, "filter", request.Filter);
        v.ThrowIfAny();
    }

    public static void Validate(RecommendRequest request, VectorSearchOptions options)
    {
        var v = new Violations();
        RequireTenant(v, request.Tenant);
        CheckLimit(v, request.Limit, options);
        if (request.PositiveIds.Count == 0)
        {
            v.Add("positive_ids", "At least one positive example is required.");
        }

        CheckIds(v, "positive_ids", request.PositiveIds);
        CheckIds(v, "negative_ids", request.NegativeIds);
        CheckFilter(v, "filter", request.Filter);
        v.ThrowIfAny();
    }

    public static void Validate(UpsertRequest request)
    {
        var v = new Violations();
        for (var i = 0; i < request.Points.Count; i++)
        {
            var p = request.Points[i];
            if (p.Pin is null)
            {
                v.Add($"points[{i}].pin", "A point needs its pin.");
                continue;
            }

            RequireTenant(v, p.Pin.Tenant, $"points[{i}].pin.tenant");
            if (string.IsNullOrWhiteSpace(p.Pin.Id))
            {
                v.Add($"points[{i}].pin.id", "A pin needs an id.");
            }

            if (p.Dense.Count == 0)
            {
                v.Add($"points[{i}].dense", "A point needs a dense vector.");
            }

            if (string.IsNullOrWhiteSpace(p.EmbedderVersion))
            {
                v.Add($"points[{i}].embedder_version", "A point needs the version of the embedder that made it.");
            }

            CheckSparse(v, p.Sparse, $"points[{i}].sparse");
        }

        v.ThrowIfAny();
    }

    public static void Validate(DeleteRequest request)
    {
        var v = new Violations();
        RequireTenant(v, request.Tenant);
        CheckIds(v, "pin_ids", request.PinIds);
        v.ThrowIfAny();
    }

    public static void Validate(GetRequest request)
    {
        var v = new Violations();
        RequireTenant(v, request.Tenant);
        CheckIds(v, "pin_ids", request.PinIds);
        v.ThrowIfAny();
    }

    private static void RequireTenant(Violations v, string tenant, string field = "tenant")
    {
        if (string.IsNullOrWhiteSpace(tenant))
        {
            v.Add(field, "The tenant is required.");
        }
    }

    private static void CheckLimit(Violations v, int limit, VectorSearchOptions options)
    {
        if (limit < 1 || limit > options.MaxLimit)
        {
            v.Add("limit", $"Must be between 1 and {options.MaxLimit}.");
        }
    }

    private static void CheckIds(Violations v, string field, IReadOnlyCollection<string> ids)
    {
        if (ids.Count > MaxIds)
        {
            v.Add(field, $"At most {MaxIds} ids per call.");
        }

        if (ids.Any(string.IsNullOrWhiteSpace))
        {
            v.Add(field, "Ids must not be empty.");
        }
    }

    private static void CheckSparse(Violations v, SparseVector? sparse, string field = "sparse")
    {
        if (sparse is not null && sparse.Indices.Count != sparse.Values.Count)
        {
            v.Add(field, $"indices ({sparse.Indices.Count}) and values ({sparse.Values.Count}) must have the same length.");
        }
    }

    private static void CheckFilter(Violations v, string path, Filter? filter)
    {
        if (filter is null)
        {
            return;
        }

        CheckConditions(v, $"{path}.must", filter.Must);
        CheckConditions(v, $"{path}.should", filter.Should);
        CheckConditions(v, $"{path}.must_not", filter.MustNot);
    }

    private static void CheckConditions(Violations v, string path, IReadOnlyList<Condition> conditions)
    {
        for (var i = 0; i < conditions.Count; i++)
        {
            var c = conditions[i];
            var at = $"{path}[{i}]";
            switch (c.KindCase)
            {
                case Condition.KindOneofCase.Keyword when !FilterFields.Keywords.Contains(c.Keyword.Field):
                    v.Add($"{at}.keyword.field", $"'{FieldViolation.Echo(c.Keyword.Field)}' is not a keyword field ({string.Join(", ", FilterFields.Keywords)}).");
                    break;
                case Condition.KindOneofCase.Keyword when c.Keyword.Any.Count == 0:
                    v.Add($"{at}.keyword.any", "Give at least one value to match.");
                    break;
                case Condition.KindOneofCase.Range when !FilterFields.Numbers.Contains(c.Range.Field):
                    v.Add($"{at}.range.field", $"'{FieldViolation.Echo(c.Range.Field)}' is not a numeric field ({string.Join(", ", FilterFields.Numbers)}).");
                    break;
                case Condition.KindOneofCase.Nested:
                    CheckFilter(v, $"{at}.nested", c.Nested);
                    break;
                case Condition.KindOneofCase.None:
                    v.Add(at, "A condition needs a keyword, range or nested filter.");
                    break;
            }
        }
    }
}
