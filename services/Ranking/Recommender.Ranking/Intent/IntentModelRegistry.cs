using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Recommender.Ranking.Intent;

/// <summary>
/// The current intent model of each tenant. A rebuilt model replaces the old one atomically; searches in flight keep
/// the instance they started with. A tenant seen for the first time is parsed by the grammar alone while its model
/// is built in the background.
/// </summary>
public sealed class IntentModelRegistry
{
    private readonly ConcurrentDictionary<string, IntentModel?> _models = new(StringComparer.Ordinal);
    private readonly Channel<string> _requests = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Tenants to keep a model for.</summary>
    public ICollection<string> Tenants => _models.Keys;

    /// <summary>Tenants whose model was asked for before it existed; the refresher builds them first.</summary>
    public ChannelReader<string> Requests => _requests.Reader;

    public IntentModel? ModelFor(string tenant) => _models.GetValueOrDefault(tenant);

    /// <summary>The parser to use now for the tenant: its learned one, or the grammar alone until that exists.</summary>
    public EmbeddedIntentParser ParserFor(string tenant)
    {
        if (_models.TryGetValue(tenant, out var model))
        {
            return model?.Parser ?? EmbeddedIntentParser.GrammarOnly;
        }

        Track(tenant);
        return EmbeddedIntentParser.GrammarOnly;
    }

    /// <summary>Starts keeping a model for the tenant (no-op when already tracked).</summary>
    public void Track(string tenant)
    {
        if (_models.TryAdd(tenant, null))
        {
            _requests.Writer.TryWrite(tenant);
        }
    }

    public void Swap(string tenant, IntentModel model) => _models[tenant] = model;
}
