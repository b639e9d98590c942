using System.Collections;
using System.ComponentModel;
using System.Globalization;
using System.Reflection;

namespace Recommender.Deploy.Tests.Infrastructure;

/// <summary>One configuration key an options class binds, e.g. "Messaging:RabbitMq:Host" of type string. Inside a
/// list or array the path holds <see cref="OptionCatalog.Index"/> ("Auth:Keys:{index}:Hash"), inside a dictionary
/// <see cref="OptionCatalog.AnyKey"/>.</summary>
public sealed record OptionKey(string Path, Type Type, string Owner)
{
    internal string[] Segments { get; } = Path.Split(':');
}

/// <summary>A list or array of objects an options class binds (e.g. "Auth:Keys"), and the members every element must
/// set: [Required] ones whose default does not satisfy the requirement (null or empty).</summary>
public sealed record OptionCollection(string Path, Type ElementType, IReadOnlyList<string> RequiredMembers, string Owner)
{
    internal string[] Segments { get; } = Path.Split(':');
}

/// <summary>
/// The configuration keys a host reads, found by reflection: every class with <c>public const string Section</c> in
/// the host assembly and the Recommender.* assemblies it references, and its bindable properties: nested objects are
/// recursed into, lists and arrays of T bind "path:N:..." (N a non-negative integer, the index convention of
/// environment variables such as Auth__Keys__0__Hash) with T's own members below N, dictionaries bind "path:KEY:...";
/// only collections of an unknown element type (non-generic) accept any key below them.
/// </summary>
public sealed class OptionCatalog
{
    /// <summary>Path segment standing for a list or array index.</summary>
    public const string Index = "{index}";

    /// <summary>Path segment standing for a dictionary key.</summary>
    public const string AnyKey = "{key}";

    private readonly Dictionary<string, OptionKey> _leaves = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<OptionKey> _indexedLeaves = [];
    private readonly List<OptionKey> _openPrefixes = [];
    private readonly List<OptionCollection> _collections = [];

    private OptionCatalog(string name) => Name = name;

    public string Name { get; }

    public IEnumerable<OptionKey> Keys => _leaves.Values.Concat(_indexedLeaves);

    /// <summary>The lists and arrays of objects bound, with the members each element must set.</summary>
    public IReadOnlyList<OptionCollection> Collections => _collections;

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

        var segments = path.Split(':');
        return _indexedLeaves.FirstOrDefault(k => k.Segments.Length == segments.Length && Matches(k.Segments, segments))
            ?? _openPrefixes.FirstOrDefault(p => p.Segments.Length < segments.Length && Matches(p.Segments, segments));
    }

    /// <summary>True when some options class binds <paramref name="path"/> or a key below it.</summary>
    public bool Binds(string path)
    {
        var segments = path.Split(':');
        return Sections.Contains(path)
            || _leaves.Values.Concat(_indexedLeaves).Concat(_openPrefixes)
                .Any(k => k.Segments.Length >= segments.Length && Matches(k.Segments, segments));
    }

    /// <summary>The element of a bound collection that <paramref name="path"/> sets a member of, e.g.
    /// ("Auth:Keys:0", "Hash", the Auth:Keys collection) for "Auth:Keys:0:Hash"; null when it is not one.</summary>
    public (string Element, string Member, OptionCollection Collection)? ElementOf(string path)
    {
        var segments = path.Split(':');
        foreach (var c in _collections)
        {
            if (segments.Length > c.Segments.Length + 1
                && Matches(c.Segments, segments)
                && SegmentMatches(Index, segments[c.Segments.Length]))
            {
                return (string.Join(':', segments[..(c.Segments.Length + 1)]), segments[c.Segments.Length + 1], c);
            }
        }

        return null;
    }

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
            AddMember($"{prefix}:{name}", property.PropertyType, property.SetMethod is { IsPublic: true }, owner, depth);
        }
    }

    /// <summary>Registers what binds at <paramref name="path"/>, a value of <paramref name="type"/>.</summary>
    private void AddMember(string path, Type type, bool settable, string owner, int depth)
    {
        if (IsLeaf(Nullable.GetUnderlyingType(type) ?? type))
        {
            // The binder sets a leaf through its setter (a collection's elements are always settable).
            if (settable)
            {
                var key = new OptionKey(path, type, owner);
                if (key.Segments.Any(IsPlaceholder))
                {
                    _indexedLeaves.Add(key);
                }
                else
                {
                    _leaves[path] = key;
                }
            }
        }
        else if (DictionaryValueType(type) is { } valueType)
        {
            AddMember($"{path}:{AnyKey}", valueType, settable: true, owner, depth + 1);
        }
        else if (typeof(IEnumerable).IsAssignableFrom(type))
        {
            if (ElementType(type) is not { } element)
            {
                _openPrefixes.Add(new OptionKey(path, type, owner));
                return;
            }

            if (!IsLeaf(Nullable.GetUnderlyingType(element) ?? element) && element.IsClass && !typeof(IEnumerable).IsAssignableFrom(element))
            {
                _collections.Add(new OptionCollection(path, element, RequiredMembers(element), owner));
            }

            AddMember($"{path}:{Index}", element, settable: true, owner, depth + 1);
        }
        else if (type.IsClass)
        {
            AddProperties(path, type, owner, depth + 1);
        }
    }

    /// <summary>Leaf members with [Required] (DataAnnotations) or the C# <c>required</c> modifier whose default value
    /// would not pass: the configuration of each element has to set them.</summary>
    private static List<string> RequiredMembers(Type element)
    {
        var instance = element.GetConstructor(Type.EmptyTypes) is not null ? Activator.CreateInstance(element) : null;
        var required = new List<string>();
        foreach (var property in element.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var leaf = IsLeaf(Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType);
            var marked = property.CustomAttributes.Any(a => a.AttributeType.Name is "RequiredAttribute" or "RequiredMemberAttribute");
            if (!leaf || !marked || property.GetIndexParameters().Length > 0)
            {
                continue;
            }

            var value = instance is null ? null : property.GetValue(instance);
            if (value is null || (value is string text && string.IsNullOrWhiteSpace(text)))
            {
                required.Add(property.Name);
            }
        }

        return required;
    }

    private static Type? DictionaryValueType(Type type) =>
        (GenericInterface(type, typeof(IDictionary<,>)) ?? GenericInterface(type, typeof(IReadOnlyDictionary<,>)))?[1];

    private static Type? ElementType(Type type) =>
        type.IsArray ? type.GetElementType() : GenericInterface(type, typeof(IEnumerable<>))?[0];

    private static Type[]? GenericInterface(Type type, Type definition)
    {
        if (type.IsGenericType && type.GetGenericTypeDefinition() == definition)
        {
            return type.GetGenericArguments();
        }

        return type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == definition)?.GetGenericArguments();
    }

    private static bool IsPlaceholder(string segment) => segment is Index or AnyKey;

    /// <summary>Whether <paramref name="path"/> starts with the segments of <paramref name="pattern"/> (placeholders
    /// matching an index or any key), or, when the pattern is longer, is a prefix of it.</summary>
    private static bool Matches(string[] pattern, string[] path)
    {
        for (var i = 0; i < Math.Min(pattern.Length, path.Length); i++)
        {
            if (!SegmentMatches(pattern[i], path[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>An index is a non-negative integer written without sign or leading zeros (the binder sorts children
    /// numerically; "Keys:01" and "Keys:1" would be two entries that look like one).</summary>
    private static bool SegmentMatches(string pattern, string segment) => pattern switch
    {
        Index => segment.Length > 0 && segment.All(char.IsAsciiDigit) && (segment == "0" || segment[0] != '0'),
        AnyKey => segment.Length > 0,
        _ => pattern.Equals(segment, StringComparison.OrdinalIgnoreCase),
    };

    private static bool IsLeaf(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal)
        || type == typeof(Uri) || type == typeof(TimeSpan) || type == typeof(DateTime)
        || type == typeof(DateTimeOffset) || type == typeof(Guid) || type == typeof(CultureInfo);
}
