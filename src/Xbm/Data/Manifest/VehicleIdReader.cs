using Xbm.Runtime;

namespace Xbm.Data.Manifest;

/// <summary>How VehicleID's test lists are evaluated.</summary>
public enum VehicleIdProtocol
{
    /// <summary>Metric-learning papers (MS loss, XBM): each test list retrieves within itself, Recall@1 and 5.</summary>
    Dml,
    /// <summary>Re-identification papers: per vehicle one random image in the gallery and the rest queries, repeated.</summary>
    Reid,
}

/// <summary>
/// VehicleID: train_test_split/train_list.txt and test_list_{800,1600,2400}.txt (rows
/// <c>&lt;image name&gt; &lt;vehicle id&gt;</c>), images at image/&lt;name&gt;.jpg. The three test lists become
/// the subsets "small", "medium" and "large" (an image may be in several). Counts are read, never assumed: the
/// releases differ. Lists that are absent are skipped with a note; at least one is required.
/// </summary>
public sealed class VehicleIdReader : IDatasetReader
{
    /// <summary>The K values of VehicleID's Recall@K.</summary>
    public static readonly IReadOnlyList<int> RecallAt = [1, 5];

    /// <summary>The test lists and their subset names.</summary>
    public static readonly IReadOnlyList<(string File, string Subset)> TestLists =
        [("test_list_800.txt", "small"), ("test_list_1600.txt", "medium"), ("test_list_2400.txt", "large")];

    /// <summary>Creates the reader.</summary>
    /// <param name="protocol">DML (default; what XBM reports) or re-ID evaluation.</param>
    /// <param name="repeats">Re-ID: number of random gallery draws per test list.</param>
    /// <param name="seed">Re-ID: seed of the gallery draws.</param>
    public VehicleIdReader(VehicleIdProtocol protocol = VehicleIdProtocol.Dml, int repeats = 10, ulong seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        Protocol = protocol;
        Repeats = repeats;
        Seed = seed;
    }

    /// <summary>The evaluation protocol.</summary>
    public VehicleIdProtocol Protocol { get; }

    /// <summary>Re-ID: gallery draws per test list.</summary>
    public int Repeats { get; }

    /// <summary>Re-ID: seed of the gallery draws.</summary>
    public ulong Seed { get; }

    /// <inheritdoc/>
    public string Name => "vehicleid";

    /// <inheritdoc/>
    public string Description => "VehicleID: train_list.txt train; test lists 800/1600/2400 as small/medium/large (retrieval within each, R@1,5)";

    /// <inheritdoc/>
    public string Layout => "train_test_split/train_list.txt, train_test_split/test_list_{800,1600,2400}.txt, image/<name>.jpg";

    /// <inheritdoc/>
    public DatasetManifest Read(string root)
    {
        string trainName = Path.Combine("train_test_split", "train_list.txt");
        root = ListFile.ResolveRoot(root, trainName, "VehicleID_V1.0", Name);
        var entries = ReadList(root, Path.Combine(root, trainName), DatasetSplit.Train, null);
        var parts = new List<ManifestPart> { new(DatasetSplit.Train) };
        var protocols = new List<RetrievalProtocol>();
        var notes = new List<string>();
        foreach (var (file, subset) in TestLists)
        {
            string path = Path.Combine(root, "train_test_split", file);
            if (!File.Exists(path))
            {
                notes.Add($"{path} not found: no '{subset}' test set");
                continue;
            }
            var test = ReadList(root, path, DatasetSplit.Test, subset);
            if (Protocol == VehicleIdProtocol.Dml)
            {
                entries.AddRange(test);
                parts.Add(new ManifestPart(DatasetSplit.Test, subset));
                protocols.Add(new RetrievalProtocol(subset, new ManifestPart(DatasetSplit.Test, subset), null, RecallAt));
                continue;
            }
            for (int r = 1; r <= Repeats; r++)
            {
                string name = $"{subset}-{r}";
                // One stream per (test list, repeat): draws do not depend on which other lists exist.
                var rng = SeededRandom.Derive(Seed, (ulong)(TestListIndex(subset) * 1000 + r));
                foreach (var group in test.GroupBy(e => e.Label).OrderBy(g => g.Key))
                {
                    var images = group.ToList();
                    int pick = rng.Next(images.Count);
                    for (int i = 0; i < images.Count; i++)
                        entries.Add(images[i] with { Split = i == pick ? DatasetSplit.Gallery : DatasetSplit.Query, Subset = name });
                }
                parts.Add(new ManifestPart(DatasetSplit.Query, name));
                parts.Add(new ManifestPart(DatasetSplit.Gallery, name));
                protocols.Add(new RetrievalProtocol(name, new ManifestPart(DatasetSplit.Query, name), new ManifestPart(DatasetSplit.Gallery, name), RecallAt));
            }
        }
        if (protocols.Count == 0)
            throw new FileNotFoundException($"{Name}: no test list found in {Path.Combine(root, "train_test_split")} (expected {string.Join(", ", TestLists.Select(t => t.File))})");
        return new DatasetManifest(Name, root, entries, parts, protocols) { Notes = notes };
    }

    private static int TestListIndex(string subset)
    {
        for (int i = 0; i < TestLists.Count; i++)
            if (TestLists[i].Subset == subset)
                return i;
        return -1;
    }

    private static List<ManifestEntry> ReadList(string root, string path, DatasetSplit split, string? subset)
    {
        var entries = new List<ManifestEntry>();
        foreach (var line in ListFile.Read(path))
        {
            line.ExpectFields(2, "<image name> <vehicle id>");
            string name = line.Fields[0];
            if (name.Contains('/') || name.Contains('\\'))
                throw line.Error($"image name '{name}' must be a bare name (the file is image/<name>.jpg)");
            long vehicle = line.Long(1, "vehicle id");
            entries.Add(new ManifestEntry(ListFile.Combine(root, $"image/{name}.jpg"), vehicle, split, line.Location) { Subset = subset });
        }
        return entries;
    }
}
