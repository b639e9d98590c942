using Grpc.Core;
using Recommender.ServiceDefaults.Grpc;

namespace Recommender.ServiceDefaults.Security;

/// <summary>Which tenant a call acts for: the key's own tenant. A request may name it (or leave it empty), but naming
/// another tenant is PERMISSION_DENIED. Service keys act for the tenant the request names.</summary>
public static class TenantAccess
{
    public static string Resolve(ServerCallContext context, string requested)
    {
        var user = context.GetHttpContext().User;
        var keyTenant = user.TenantOf()
            ?? throw new ServiceRuleException(StatusCode.Unauthenticated, "An API key is required.");
        if (keyTenant == "*")
        {
            return string.IsNullOrEmpty(requested)
                ? throw new RequestValidationException([new FieldViolation("tenant", "A service key must name the tenant.")])
                : requested;
        }

        if (!string.IsNullOrEmpty(requested) && requested != keyTenant)
        {
            throw new ServiceRuleException(StatusCode.PermissionDenied, "This API key does not grant access to that tenant.");
        }

        return keyTenant;
    }
}
