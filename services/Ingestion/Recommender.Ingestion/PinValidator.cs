using System.Text.RegularExpressions;
using Recommender.Contracts.Catalog.V1;
using Recommender.ServiceDefaults.Grpc;

namespace Recommender.Ingestion;

/// <summary>The rules a pin must meet. Every violation names the field's path as the client sent it.</summary>
public static partial class PinValidator
{
    public const string TenantPattern = "^[a-z0-9][a-z0-9_-]{0,62}$";
    public const int MaxIdLength = 128;
    public const int MaxTitleLength = 500;
    public const int MaxDescriptionLength = 20_000;
    public const int MaxShortField = 200;
    public const int MaxCategoryLevels = 10;
    public const int MaxAttributes = 200;
    public const int MaxUrlLength = 2_048;

    public static bool IsValidTenant(string tenant) => TenantRegex().IsMatch(tenant);

    public static void Validate(Pin pin, string path, Violations v)
    {
        if (string.IsNullOrWhiteSpace(pin.Id))
        {
            v.Add($"{path}.id", "A pin needs an id.");
        }
        else if (pin.Id.Length > MaxIdLength || !IdRegex().IsMatch(pin.Id))
        {
            v.Add($"{path}.id", $"Use 1-{MaxIdLength} characters of letters, digits and . _ : -");
        }

        if (string.IsNullOrWhiteSpace(pin.Title))
        {
            v.Add($"{path}.title", "A pin needs a title.");
        }
        else if (pin.Title.Length > MaxTitleLength)
        {
            v.Add($"{path}.title", $"At most {MaxTitleLength} characters.");
        }

        if (pin.Description.Length > MaxDescriptionLength)
        {
            v.Add($"{path}.description", $"At most {MaxDescriptionLength} characters.");
        }

        if (pin.HasPrice && (double.IsNaN(pin.Price) || double.IsInfinity(pin.Price) || pin.Price < 0))
        {
            v.Add($"{path}.price", "Must be a finite number >= 0.");
        }

        if (pin.Currency.Length > 0 && !CurrencyRegex().IsMatch(pin.Currency))
        {
            v.Add($"{path}.currency", "Use a three-letter ISO 4217 code such as USD.");
        }

        CheckShort(v, $"{path}.brand", pin.Brand);
        CheckShort(v, $"{path}.colour", pin.Colour);
        if (pin.CategoryPath.Count > MaxCategoryLevels)
        {
            v.Add($"{path}.category_path", $"At most {MaxCategoryLevels} levels.");
        }

        for (var i = 0; i < pin.CategoryPath.Count; i++)
        {
            CheckShort(v, $"{path}.category_path[{i}]", pin.CategoryPath[i]);
        }

        if (pin.Attributes.Count > MaxAttributes)
        {
            v.Add($"{path}.attributes", $"At most {MaxAttributes} attributes.");
        }

        foreach (var (key, value) in pin.Attributes)
        {
            if (key.Length is 0 or > MaxShortField || value.Length > MaxDescriptionLength)
            {
                v.Add($"{path}.attributes[{key}]", $"Keys need 1-{MaxShortField} characters and values at most {MaxDescriptionLength}.");
            }
        }

        CheckUrl(v, $"{path}.image_url", pin.ImageUrl);
        CheckUrl(v, $"{path}.link", pin.Link);
        if (pin.Version < 0)
        {
            v.Add($"{path}.version", "Must be >= 0 (0 lets the service assign one).");
        }
    }

    private static void CheckShort(Violations v, string field, string value)
    {
        if (value.Length > MaxShortField)
        {
            v.Add(field, $"At most {MaxShortField} characters.");
        }
    }

    private static void CheckUrl(Violations v, string field, string url)
    {
        if (url.Length == 0)
        {
            return;
        }

        if (url.Length > MaxUrlLength
            || !Uri.TryCreate(url, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            v.Add(field, $"Must be an absolute http(s) URL of at most {MaxUrlLength} characters.");
        }
    }

    [GeneratedRegex(TenantPattern)]
    private static partial Regex TenantRegex();

    [GeneratedRegex("^[A-Za-z0-9._:-]+$")]
    private static partial Regex IdRegex();

    [GeneratedRegex("^[A-Za-z]{3}$")]
    private static partial Regex CurrencyRegex();
}
