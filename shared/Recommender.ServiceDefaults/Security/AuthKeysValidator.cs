using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Recommender.ServiceDefaults.Security;

/// <summary>Checks every <c>Auth:Keys</c> entry's own annotations and names each failing entry and field
/// (<c>Auth:Keys:1:PermitsPerSecond: ...</c>), which the section-level annotations cannot do for list items.</summary>
public sealed class AuthKeysValidator : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        var failures = new List<string>();
        for (var i = 0; i < options.Keys.Count; i++)
        {
            var results = new List<ValidationResult>();
            if (!Validator.TryValidateObject(options.Keys[i], new ValidationContext(options.Keys[i]), results, validateAllProperties: true))
            {
                failures.AddRange(results.Select(r => $"{AuthOptions.Section}:Keys:{i}:{string.Join(',', r.MemberNames)}: {r.ErrorMessage}"));
            }
        }

        return failures.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(
                ["Every Auth:Keys entry needs an Id, a Tenant and a Hash of the form sha256:<64 hex>, and per-key limits of at least 1.", .. failures]);
    }
}
