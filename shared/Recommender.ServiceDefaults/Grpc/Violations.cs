namespace Recommender.ServiceDefaults.Grpc;

/// <summary>Collects field violations while a validator walks a request, then throws them all at once.</summary>
public sealed class Violations
{
    private readonly List<FieldViolation> _items = [];

    public int Count => _items.Count;

    public IReadOnlyList<FieldViolation> Items => _items;

    public void Add(string field, string description) => _items.Add(new FieldViolation(field, description));

    public void AddRange(IEnumerable<FieldViolation> violations) => _items.AddRange(violations);

    public void ThrowIfAny()
    {
        if (_items.Count > 0)
        {
            throw new RequestValidationException(_items.ToArray());
        }
    }
}
