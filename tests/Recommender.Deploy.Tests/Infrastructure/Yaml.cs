using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace Recommender.Deploy.Tests.Infrastructure;

/// <summary>YAML as plain objects: mappings are Dictionary&lt;object, object?&gt;, sequences List&lt;object?&gt;,
/// scalars strings. Anchors, aliases and merge keys (&lt;&lt;: *x) are resolved.</summary>
public static class Yaml
{
    private static readonly IDeserializer Deserializer = new DeserializerBuilder().Build();

    public static List<Dictionary<object, object?>> LoadAll(string text)
    {
        var documents = new List<Dictionary<object, object?>>();
        var parser = new MergingParser(new Parser(new StringReader(text)));
        parser.Consume<YamlDotNet.Core.Events.StreamStart>();
        while (!parser.Accept<YamlDotNet.Core.Events.StreamEnd>(out _))
        {
            if (Deserializer.Deserialize(parser) is Dictionary<object, object?> document)
            {
                documents.Add(document);
            }
        }

        return documents;
    }

    public static Dictionary<object, object?>? Map(this Dictionary<object, object?> map, string key) =>
        map.TryGetValue(key, out var value) ? value as Dictionary<object, object?> : null;

    public static List<object?> List(this Dictionary<object, object?> map, string key) =>
        map.TryGetValue(key, out var value) && value is List<object?> list ? list : [];

    public static string? Str(this Dictionary<object, object?> map, string key) =>
        map.TryGetValue(key, out var value) ? value?.ToString() : null;

    public static IEnumerable<Dictionary<object, object?>> Maps(this Dictionary<object, object?> map, string key) =>
        map.List(key).OfType<Dictionary<object, object?>>();
}
