using Google.Protobuf.WellKnownTypes;
using Recommender.Contracts.Catalog.V1;

namespace Recommender.Contracts;

/// <summary>Converts between the wire <see cref="Pin"/> and the bus/store <see cref="PinData"/>.</summary>
public static class PinMapping
{
    public static PinData ToPinData(this Pin pin, string tenant, long version) => new()
    {
        Id = pin.Id,
        Tenant = tenant,
        Title = pin.Title.Trim(),
        Description = pin.Description,
        Brand = pin.Brand.Trim(),
        CategoryPath = pin.CategoryPath.Select(c => c.Trim()).Where(c => c.Length > 0).ToArray(),
        Price = pin.HasPrice ? pin.Price : null,
        Currency = string.IsNullOrWhiteSpace(pin.Currency) ? "USD" : pin.Currency.Trim().ToUpperInvariant(),
        Colour = pin.Colour.Trim(),
        Attributes = new Dictionary<string, string>(pin.Attributes, StringComparer.Ordinal),
        ImageUrl = pin.ImageUrl,
        Link = pin.Link,
        InStock = !pin.HasInStock || pin.InStock,
        CreatedAt = pin.CreatedAt?.ToDateTimeOffset(),
        UpdatedAt = pin.UpdatedAt?.ToDateTimeOffset(),
        Version = version,
    };

    public static Pin ToProto(this PinData pin)
    {
        var proto = new Pin
        {
            Id = pin.Id,
            Tenant = pin.Tenant,
            Title = pin.Title,
            Description = pin.Description,
            Brand = pin.Brand,
            Currency = pin.Currency,
            Colour = pin.Colour,
            ImageUrl = pin.ImageUrl,
            Link = pin.Link,
            InStock = pin.InStock,
            Version = pin.Version,
        };
        proto.CategoryPath.Add(pin.CategoryPath);
        foreach (var (key, value) in pin.Attributes)
        {
            proto.Attributes[key] = value;
        }
        if (pin.Price is { } price)
        {
            proto.Price = price;
        }

        if (pin.CreatedAt is { } created)
        {
            proto.CreatedAt = Timestamp.FromDateTimeOffset(created);
        }

        if (pin.UpdatedAt is { } updated)
        {
            proto.UpdatedAt = Timestamp.FromDateTimeOffset(updated);
        }

        return proto;
    }
}
