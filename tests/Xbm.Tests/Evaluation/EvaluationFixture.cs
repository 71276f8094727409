using System.Text.Json;
using Xbm.IO;
using static TorchSharp.torch;

namespace Xbm.Tests.Evaluation;

/// <summary>One case written by tools/fixtures/make_metric_fixtures.py.</summary>
internal sealed class EvaluationFixture
{
    public static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Fixtures", "Evaluation");

    public static readonly string[] Names = { "same_set_random", "query_gallery_random", "same_set_ties", "query_gallery_ties" };

    private EvaluationFixture(string name)
    {
        Name = name;
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, name + ".json")));
        var root = doc.RootElement;
        SameSet = root.GetProperty("same_set").GetBoolean();
        RecallAt = root.GetProperty("recall_at").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        Depth = root.GetProperty("depth").GetInt32();
        Excluded = root.GetProperty("excluded").GetInt64();
        RelevantCounts = root.GetProperty("relevant_counts").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        Expected = root.GetProperty("expected").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
        Neighbours = root.GetProperty("neighbours").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray();
        Similarities = root.GetProperty("similarities").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        QueryLabels = Npy.Read<long>(Path.Combine(Folder, name + "_query_labels.npy"), out _);
        if (!SameSet)
            GalleryLabels = Npy.Read<long>(Path.Combine(Folder, name + "_gallery_labels.npy"), out _);
    }

    public static EvaluationFixture Load(string name) => new(name);

    public string Name { get; }
    public bool SameSet { get; }
    public int[] RecallAt { get; }
    public int Depth { get; }
    public long Excluded { get; }
    public int[] RelevantCounts { get; }
    public Dictionary<string, double> Expected { get; }
    public long[][] Neighbours { get; }
    public double[][] Similarities { get; }
    public long[] QueryLabels { get; }
    public long[]? GalleryLabels { get; }

    /// <summary>The query embeddings (caller disposes).</summary>
    public Tensor Queries() => Npy.Read(Path.Combine(Folder, Name + "_queries.npy"));

    /// <summary>The gallery embeddings, or null in same-set mode (caller disposes).</summary>
    public Tensor? Gallery() => SameSet ? null : Npy.Read(Path.Combine(Folder, Name + "_gallery.npy"));
}
