namespace Recommender.ServiceDefaults.Grpc;

/// <summary>One bad field of a request: the path as the client sees it (pins[3].id) and why.</summary>
public sealed record FieldViolation(string Field, string Description);

/// <summary>
/// Thrown by request validators; the exception interceptor turns it into INVALID_ARGUMENT with a
/// google.rpc.BadRequest detail listing every violation.
/// </summary>
public sealed class RequestValidationException(IReadOnlyList<FieldViolation> violations)
    : Exception(Describe(violations))
{
    public IReadOnlyList<FieldViolation> Violations { get; } = violations;

    private static string Describe(IReadOnlyList<FieldViolation> violations) =>
        violations.Count == 0
            ? "The request is invalid."
            : string.Join("; ", violations.Take(10).Select(v => $"{v.Field}: {v.Description}"))
              + (violations.Count > 10 ? $"; and {violations.Count - 10} more" : "");
}
