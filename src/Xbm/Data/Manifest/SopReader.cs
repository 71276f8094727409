namespace Xbm.Data.Manifest;

/// <summary>
/// Stanford Online Products: Ebay_train.txt and Ebay_test.txt, each a header
/// <c>image_id class_id super_class_id path</c> then one row per image. Classes are the product ids,
/// super-classes the 12 categories. Test: self-retrieval, Recall@1, 10, 100, 1000.
/// </summary>
public sealed class SopReader : IDatasetReader
{
    /// <summary>The K values of SOP's Recall@K.</summary>
    public static readonly IReadOnlyList<int> RecallAt = [1, 10, 100, 1000];

    private static readonly string[] Header = ["image_id", "class_id", "super_class_id", "path"];

    /// <inheritdoc/>
    public string Name => "sop";

    /// <inheritdoc/>
    public string Description => "Stanford Online Products: Ebay_train.txt train, Ebay_test.txt test (self-retrieval, R@1,10,100,1000)";

    /// <inheritdoc/>
    public string Layout => "Ebay_train.txt, Ebay_test.txt (header image_id class_id super_class_id path), <category>_final/*.JPG";

    /// <inheritdoc/>
    public DatasetManifest Read(string root)
    {
        root = ListFile.ResolveRoot(root, "Ebay_train.txt", "Stanford_Online_Products", Name);
        var entries = new List<ManifestEntry>();
        foreach (var (file, split) in new[] { ("Ebay_train.txt", DatasetSplit.Train), ("Ebay_test.txt", DatasetSplit.Test) })
        {
            string path = ListFile.Require(Path.Combine(root, file), Name);
            bool first = true;
            foreach (var line in ListFile.Read(path))
            {
                if (first)
                {
                    first = false;
                    if (!line.Fields.Select(f => f.ToLowerInvariant()).SequenceEqual(Header))
                        throw line.Error($"expected the header '{string.Join(" ", Header)}', found '{line.Text.Trim()}'");
                    continue;
                }
                line.ExpectFields(4, string.Join(" ", Header));
                line.Long(0, "image id");
                long classId = line.Long(1, "class id");
                long superClass = line.Long(2, "super class id");
                entries.Add(new ManifestEntry(ListFile.Combine(root, line.Fields[3]), classId, split, line.Location) { SuperClass = superClass });
            }
        }
        return new DatasetManifest(Name, root, entries,
            [new ManifestPart(DatasetSplit.Train), new ManifestPart(DatasetSplit.Test)],
            [new RetrievalProtocol("test", new ManifestPart(DatasetSplit.Test), null, RecallAt)]);
    }
}
