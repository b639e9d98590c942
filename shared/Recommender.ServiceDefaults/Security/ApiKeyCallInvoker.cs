using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Recommender.ServiceDefaults.Security;

/// <summary>Client side of API keys: a call invoker that sends the key as <c>x-api-key</c> metadata on every call.</summary>
public static class ApiKeyCallInvoker
{
    public const string Header = "x-api-key";

    /// <summary>Every call through the result carries <paramref name="key"/>; an empty key sends nothing.</summary>
    public static CallInvoker WithApiKey(this ChannelBase channel, string? key)
    {
        var invoker = channel.CreateCallInvoker();
        return string.IsNullOrEmpty(key) ? invoker : invoker.Intercept(metadata =>
        {
            metadata.Add(Header, key);
            return metadata;
        });
    }
}
