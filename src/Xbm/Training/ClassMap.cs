using System.Text.Json;
using Xbm.Data;
using Xbm.IO;

namespace Xbm.Training;

/// <summary>
/// The classes of the classification task: the distinct training labels in ascending order, class index i
/// (the classifier's logit i) standing for <see cref="Labels"/>[i]. Derived from the training split alone, so
/// the same data gives the same map; stored with the run as classes.json.
/// </summary>
public sealed class ClassMap
{
    /// <summary>The file a classification run stores its map in.</summary>
    public const string FileName = "classes.json";

    private readonly Dictionary<long, int> _index;

    /// <summary>Creates the map of <paramref name="labels"/> (distinct, any order: sorted here) with optional names.</summary>
    public ClassMap(IEnumerable<long> labels, IReadOnlyDictionary<long, string>? names = null)
    {
        Labels = labels.Distinct().Order().ToArray();
        _index = Labels.Select((label, i) => (label, i)).ToDictionary(p => p.label, p => p.i);
        Names = Labels.Select(l => names is not null && names.TryGetValue(l, out var n) ? n : l.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }

    /// <summary>The label of each class index.</summary>
    public IReadOnlyList<long> Labels { get; }

    /// <summary>The name of each class index (the label itself when the data names none).</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Number of classes C.</summary>
    public int Count => Labels.Count;

    /// <summary>The class index of <paramref name="label"/>, or -1 when it is not a training class.</summary>
    public int IndexOf(long label) => _index.TryGetValue(label, out int i) ? i : -1;

    /// <summary>True when <paramref name="other"/> has the same labels and names, in the same order.</summary>
    public bool SameAs(ClassMap other) => Labels.SequenceEqual(other.Labels) && Names.SequenceEqual(other.Names);

    /// <summary>The classes as "label name" pairs (the label alone when it is its name).</summary>
    public override string ToString() =>
        string.Join(", ", Labels.Zip(Names, (l, n) => n == l.ToString(System.Globalization.CultureInfo.InvariantCulture) ? n : $"{l} {n}"));

    /// <summary>The map of a dataset's training split, with its class names.</summary>
    public static ClassMap Of(DatasetSplits data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return new ClassMap(data.Train.Labels, data.ClassNames);
    }

    /// <summary>Writes the map (labels and names) to <paramref name="runFolder"/>/classes.json.</summary>
    public void Save(string runFolder) =>
        AtomicFile.WriteAllText(Path.Combine(runFolder, FileName), JsonSerializer.Serialize(new StoredClasses(Labels.ToArray(), Names.ToArray()), new JsonSerializerOptions { WriteIndented = true }));

    /// <summary>Reads the map a run stored, or null when the run has none.</summary>
    public static ClassMap? Load(string runFolder)
    {
        string path = Path.Combine(runFolder, FileName);
        if (!File.Exists(path))
            return null;
        var stored = JsonSerializer.Deserialize<StoredClasses>(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path}: empty");
        if (stored.Labels is null || stored.Names is null || stored.Labels.Length != stored.Names.Length)
            throw new InvalidDataException($"{path}: expected as many names as labels");
        return new ClassMap(stored.Labels, stored.Labels.Zip(stored.Names).ToDictionary(p => p.First, p => p.Second));
    }

    private sealed record StoredClasses(long[] Labels, string[] Names);
}
