using System.Collections;
using System.ComponentModel;
using System.Globalization;
using System.Reflection;

namespace Recommender.Deploy.Tests.Infrastructure;

/// <summary>One configuration key an options class binds, e.g. "Messaging:RabbitMq:Host" of type string.</summary>
public sealed record OptionKey(string Path, Type Type, string Owner);

/// <summary>
/// The configuration keys a host reads, found by reflection: every class with <c>public const string Section</c> in
/// the host assembly and the Recommender.* assemblies it references, and its bindable properties (nested objects
/// recursed into; dictionaries and collections accept any key below them).
/// </summary>
public sealed class OptionCatalog
{
    private readonly Dictionary<string, OptionKey> _leaves = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<OptionKey> _openPrefixes = [];

    private OptionCatalog(string name) => Name = name;

    public string Name { get; }

    public IReadOnlyCollection<OptionKey> Keys => _leaves.Values;

    public SortedSet<string> Sections { get; } = new(StringComparer.OrdinalIgnoreCase);

    public static OptionCatalog ForHost(string assemblyName) => FromTypes(assemblyName, HostTypes(assemblyName));

    /// <summary>The types of a host assembly and of the Recommender.* assemblies it references, transitively.</summary>
    public static IEnumerable<Type> HostTypes(string assemblyName)
    {
        var assemblies = new List<Assembly>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var queue = new Queue<AssemblyName>([new AssemblyName(assemblyName)]);
        while (queue.Count > 0)
        {
            var next = queue.Dequeue();
            if (!seen.Add(next.Name!))
            {
                continue;
            }

            var assembly = Assembly.Load(next);
            assemblies.Add(assembly);
            foreach (var reference in assembly.GetReferencedAssemblies())
            {
                if (reference.Name!.StartsWith("Recommender.", StringComparison.Ordinal))
                {
                    queue.Enqueue(reference);
                }
            }
        }

        return assemblies.SelectMany(a => a.GetTypes());
    }

    public static OptionCatalog FromTypes(string name, IEnumerable<Type> types)
    {
        var catalog = new OptionCatalog(name);
        foreach (var type in types)
        {
            var section = type.GetField("Section", BindingFlags.Public | BindingFlags.Static);
            if (type.IsClass && section is { IsLiteral: true } && section.FieldType == typeof(string))
            {
                var path = (string)section.GetRawConstantValue()!;
                catalog.Sections.Add(path);
                catalog.AddProperties(path, type, type.FullName!, depth: 0);
            }
        }

        return catalog;
    }

    /// <summary>The option bound at <paramref name="path"/> (':'-separated, case-insensitive), or null.</summary>
    public OptionKey? Find(string path)
    {
        if (_leaves.TryGetValue(path, out var key))
        {
            return key;
        }

        return _openPrefixes.FirstOrDefault(p => path.StartsWith(p.Path + ":", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>True when some options class binds <paramref name="path"/> or a key below it.</summary>
    public bool Binds(string path) =>
        Sections.Contains(path)
        || _leaves.Keys.Concat(_openPrefixes.Select(p => p.Path))
            .Any(k => k.Equals(path, StringComparison.OrdinalIgnoreCase)
                      || k.StartsWith(path + ":", StringComparison.OrdinalIgnoreCase));

    /// <summary>Null when <paramref name="value"/> binds to the option's type, else why not.</summary>
    public static string? ConversionError(OptionKey key, string value)
    {
        var type = Nullable.GetUnderlyingType(key.Type) ?? key.Type;
        if (type == typeof(string) || !IsLeaf(type))
        {
            return null;
        }

        try
        {
            var converted = TypeDescriptor.GetConverter(type).ConvertFromInvariantString(value);
            if (type.IsEnum && (converted is null || !Enum.IsDefined(type, converted)))
            {
                return $"not one of {string.Join(", ", Enum.GetNames(type))}";
            }

            return null;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or NotSupportedException || e.InnerException is FormatException or OverflowException)
        {
            return type.IsEnum
                ? $"not one of {string.Join(", ", Enum.GetNames(type))}"
                : $"not a valid {type.Name}";
        }
    }

    private void AddProperties(string prefix, Type type, string owner, int depth)
    {
        if (depth > 8)
        {
            return;
        }

        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0 || property.GetMethod is null)
            {
                continue;
            }

            var name = property.CustomAttributes
                .FirstOrDefault(a => a.AttributeType.Name == "ConfigurationKeyNameAttribute")?
                .ConstructorArguments[0].Value as string ?? property.Name;
            var path = $"{prefix}:{name}";
            var propertyType = property.PropertyType;
            if (IsLeaf(Nullable.GetUnderlyingType(propertyType) ?? propertyType))
            {
                if (property.SetMethod is { IsPublic: true })
                {
                    _leaves[path] = new OptionKey(path, propertyType, owner);
                }
            }
            else if (typeof(IEnumerable).IsAssignableFrom(propertyType))
            {
                _openPrefixes.Add(new OptionKey(path, propertyType, owner));
            }
            else if (propertyType.IsClass)
            {
                AddProperties(path, propertyType, owner, depth + 1);
            }
        }
    }

    private static bool IsLeaf(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal)
        || type == typeof(Uri) || type == typeof(TimeSpan) || type == typeof(DateTime)
        || type == typeof(DateTimeOffset) || type == typeof(Guid) || type == typeof(CultureInfo);
}
