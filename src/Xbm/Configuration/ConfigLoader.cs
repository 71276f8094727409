using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Xbm.Configuration;

/// <summary>
/// Loads a YAML configuration into a <see cref="ConfigSection"/> tree: mappings become sections, sequences
/// lists, scalars strings. Supports <c>extends: other.yaml</c> (deep merge, the extending file wins) and
/// <c>--set key.path=value</c> overrides. Syntax errors name the file, line and column.
/// </summary>
public static class ConfigLoader
{
    /// <summary>
    /// The key a scalar stands for in each section (<c>memory: none</c> means <c>memory: {kind: none}</c>);
    /// sections not listed use "name".
    /// </summary>
    public static IReadOnlyDictionary<string, string> ShorthandKeys { get; } = new Dictionary<string, string>
    {
        ["memory"] = "kind", ["model"] = "backbone", ["data"] = "dataset", ["schedule"] = "kind",
    };

    /// <summary>What a minimal configuration holds, for the error about an empty file.</summary>
    public const string MinimalConfigHint =
        "A minimal config names the data and the batch, e.g. \"data: {dataset: fashion_mnist}\" and \"sampler: {classes_per_batch: 2, images_per_class: 8}\", "
        + "or extends a shipped one with \"extends: PATH/configs/fashion_mnist/base.yaml\" (a path relative to the extending file)";

    /// <summary>The shorthand key of a section (see <see cref="ShorthandKeys"/>).</summary>
    public static string ShorthandKey(string section) => ShorthandKeys.TryGetValue(section, out var key) ? key : "name";

    /// <summary>Loads <paramref name="path"/> and applies <paramref name="overrides"/> ("a.b=value").</summary>
    public static ConfigSection Load(string path, IEnumerable<string>? overrides = null)
    {
        var tree = LoadTree(path, new HashSet<string>(StringComparer.Ordinal));
        var list = overrides?.ToList() ?? new List<string>();
        foreach (string assignment in list)
            ApplyOverride(tree, assignment);
        string source = list.Count == 0 ? path : $"{path} (with --set {string.Join(", ", list)})";
        return new ConfigSection(tree, source);
    }

    /// <summary>Parses YAML text (for tests and embedded defaults).</summary>
    public static ConfigSection Parse(string yaml, string source, IEnumerable<string>? overrides = null)
    {
        var tree = ParseTree(yaml, source);
        foreach (string assignment in overrides ?? Array.Empty<string>())
            ApplyOverride(tree, assignment);
        return new ConfigSection(tree, source);
    }

    /// <summary>Serialises a tree of values back to YAML (the resolved config stored with each run).</summary>
    public static string ToYaml(IDictionary<string, object?> tree)
    {
        var writer = new System.Text.StringBuilder();
        Write(writer, tree, 0);
        return writer.ToString();
    }

    /// <summary>Loads the raw tree (with extends resolved) of a config file.</summary>
    public static Dictionary<string, object?> LoadTree(string path, ISet<string> visiting)
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new ConfigException($"{path}: is a folder, expected a YAML config file (see configs/)");
        if (!File.Exists(full))
            throw new FileNotFoundException($"config file not found: {path}", path);
        if (!visiting.Add(full))
            throw new ConfigException($"{path}: extends: cycle through this file");
        var tree = ParseTree(File.ReadAllText(full), path);
        if (tree.Count == 0)
            throw new ConfigException($"{path}: the file is empty (no keys). {MinimalConfigHint}");
        if (tree.TryGetValue("extends", out var parent))
        {
            tree.Remove("extends");
            if (parent is not string parentPath)
                throw new ConfigException($"{path}: extends: must be a file path");
            string resolved = Path.IsPathRooted(parentPath) ? parentPath : Path.Combine(Path.GetDirectoryName(full)!, parentPath);
            var baseTree = LoadTree(resolved, visiting);
            Merge(baseTree, tree);
            tree = baseTree;
        }
        visiting.Remove(full);
        return tree;
    }

    private static Dictionary<string, object?> ParseTree(string yaml, string source)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            string reason = e.InnerException?.Message ?? e.Message;
            if (reason.Contains("tab", StringComparison.OrdinalIgnoreCase) && IndentationTab(yaml, (int)e.Start.Line) is { } tab)
                throw new ConfigException($"{source}: line {tab.Line}, column {tab.Column}: a tab in the indentation; YAML indents with spaces only");
            throw new ConfigException($"{source}: line {e.Start.Line}, column {e.Start.Column}: {reason}");
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet reports some malformed flow collections this way, without a position.
            throw new ConfigException($"{source}: not valid YAML (an unclosed [ or {{ ?): {e.Message}");
        }
        if (stream.Documents.Count == 0)
            return new Dictionary<string, object?>();
        if (stream.Documents.Count > 1)
            throw new ConfigException($"{source}: holds {stream.Documents.Count} YAML documents; expected one");
        var root = stream.Documents[0].RootNode;
        if (root is YamlScalarNode { Value: null or "" })
            return new Dictionary<string, object?>();
        if (root is not YamlMappingNode mapping)
            throw new ConfigException($"{source}: line {root.Start.Line}: the top level must be a mapping of keys to values");
        return (Dictionary<string, object?>)Convert(mapping, source)!;
    }

    /// <summary>
    /// The first tab in a line's indentation, from line <paramref name="fromLine"/> on (1-based line and column).
    /// YamlDotNet reports such a tab at the start of the node it was scanning, which can be lines earlier.
    /// </summary>
    private static (int Line, int Column)? IndentationTab(string yaml, int fromLine)
    {
        string[] lines = yaml.Split('\n');
        for (int i = Math.Max(0, fromLine - 1); i < lines.Length; i++)
        {
            string line = lines[i];
            int indent = 0;
            while (indent < line.Length && (line[indent] == ' ' || line[indent] == '\t'))
                indent++;
            int tab = line.IndexOf('\t', 0, indent);
            if (tab >= 0 && indent < line.Length)
                return (i + 1, tab + 1);
        }
        return null;
    }

    private static object? Convert(YamlNode node, string source) => node switch
    {
        YamlMappingNode map => map.Children.ToDictionary(
            p => p.Key is YamlScalarNode { Value: { } key } ? key : throw new ConfigException($"{source}: line {p.Key.Start.Line}: keys must be plain names"),
            p => Convert(p.Value, source), StringComparer.Ordinal),
        YamlSequenceNode seq => seq.Children.Select(c => Convert(c, source)).ToList(),
        YamlScalarNode scalar => scalar.Style == ScalarStyle.Plain && scalar.Value is "~" or "null" or "" ? null : scalar.Value,
        _ => throw new ConfigException($"{source}: line {node.Start.Line}: unsupported YAML node"),
    };

    /// <summary>Deep-merges <paramref name="overlay"/> into <paramref name="target"/>; overlay values win.</summary>
    public static void Merge(IDictionary<string, object?> target, IDictionary<string, object?> overlay)
    {
        foreach (var (key, value) in overlay)
        {
            if (value is IDictionary<string, object?> sub && target.TryGetValue(key, out var existing) && existing is IDictionary<string, object?> baseSub)
                Merge(baseSub, sub);
            else
                target[key] = value;
        }
    }

    /// <summary>Applies "a.b.c=value" (the value is parsed as YAML, so lists and mappings work).</summary>
    public static void ApplyOverride(IDictionary<string, object?> tree, string assignment)
    {
        int eq = assignment.IndexOf('=');
        if (eq <= 0)
            throw new ConfigException($"--set {assignment}: expected key=value, e.g. --set memory.size=1000");
        string path = assignment[..eq].Trim();
        string text = assignment[(eq + 1)..];
        var parsed = ParseTree($"value: {text}", $"--set {assignment}")["value"];
        string[] parts = path.Split('.');
        IDictionary<string, object?> node = tree;
        for (int i = 0; i < parts.Length - 1; i++)
        {
            if (!node.TryGetValue(parts[i], out var child) || child is not IDictionary<string, object?> map)
            {
                // A scalar shorthand (e.g. "loss: contrastive") becomes a mapping when a sub-key is set.
                map = child is string s ? new Dictionary<string, object?> { [ShorthandKey(parts[i])] = s } : new Dictionary<string, object?>();
                node[parts[i]] = map;
            }
            node = map;
        }
        node[parts[^1]] = parsed;
    }

    private static void Write(System.Text.StringBuilder writer, IDictionary<string, object?> map, int indent)
    {
        foreach (var (key, value) in map)
        {
            writer.Append(' ', indent).Append(key).Append(':');
            switch (value)
            {
                case IDictionary<string, object?> sub when sub.Count > 0:
                    writer.AppendLine();
                    Write(writer, sub, indent + 2);
                    break;
                case IDictionary<string, object?>:
                    writer.AppendLine(" {}");
                    break;
                case IEnumerable<object?> list when value is not string:
                    writer.Append(" [").Append(string.Join(", ", list.Select(Scalar))).AppendLine("]");
                    break;
                default:
                    writer.Append(' ').AppendLine(Scalar(value));
                    break;
            }
        }
    }

    private static string Scalar(object? value) => value switch
    {
        null => "null",
        string s when s.Length == 0 || s.IndexOfAny(new[] { ':', '#', '[', ']', '{', '}', ',', '"', '\'' }) >= 0 || s != s.Trim() => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
