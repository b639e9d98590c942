namespace Recommender.ServiceDefaults.Grpc;

/// <summary>One bad field of a request: the path as the client sees it (pins[3].id) and why.</summary>
public sealed record FieldViolation(string Field, string Description)
{
    /// <summary>Caller-supplied text echoed in errors is cut to this length (errors travel in HTTP/2 headers).</summary>
    public const int MaxEchoLength = 80;

    public static string Echo(string value) => value.Length <= MaxEchoLength ? value : value[..MaxEchoLength] + "...";
}

/// <summary>
/// Thrown by request validators; the exception interceptor turns it into INVALID_ARGUMENT with a
/// google.rpc.BadRequest detail listing every violation.
/// </summary>
public sealed class RequestValidationException(IReadOnlyList<FieldViolation> violations)
    : Exception(Describe(violations))
{
    /// <summary>At most this many violations are reported (the rest are counted).</summary>
    public const int MaxReported = 50;

    public IReadOnlyList<FieldViolation> Violations { get; } = violations.Take(MaxReported)
        .Select(v => new FieldViolation(Cut(v.Field, 200), Cut(v.Description, 300))).ToArray();

    private static string Cut(string s, int max) => s.Length <= max ? s : s[..max] + "...";

    private static string Describe(IReadOnlyList<FieldViolation> violations) =>
        violations.Count == 0
            ? "The request is invalid."
            : string.Join("; ", violations.Take(10).Select(v => $"{Cut(v.Field, 200)}: {Cut(v.Description, 300)}"))
              + (violations.Count > 10 ? $"; and {violations.Count - 10} more" : "");
}
