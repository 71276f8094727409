using System.Globalization;

namespace Xbm.Data.Manifest;

/// <summary>
/// In-Shop Clothes Retrieval (DeepFashion): Eval/list_eval_partition.txt (a count line, the header
/// <c>image_name item_id evaluation_status</c>, then rows with status train, query or gallery); boxes from
/// Anno/list_bbox_inshop.txt when present. Labels are the item numbers (id_00000002 → 2). Test: queries
/// against the gallery (queries are not in the gallery), Recall@1, 10, 20, 30, 40, 50.
/// </summary>
/// <remarks>
/// Our choice: training items with fewer than <see cref="MinTrainImagesPerItem"/> images (default 2) are
/// dropped, as open-metric-learning does: with a P×K sampler a lone image's only positives are augmented
/// copies of itself. Set it to 1 to keep them. The manifest's notes say how many were dropped.
/// </remarks>
public sealed class InShopReader : IDatasetReader
{
    /// <summary>The K values of In-Shop's Recall@K.</summary>
    public static readonly IReadOnlyList<int> RecallAt = [1, 10, 20, 30, 40, 50];

    /// <summary>Creates the reader.</summary>
    public InShopReader(int minTrainImagesPerItem = 2)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(minTrainImagesPerItem, 1);
        MinTrainImagesPerItem = minTrainImagesPerItem;
    }

    /// <summary>Training items with fewer images are dropped (1 keeps all).</summary>
    public int MinTrainImagesPerItem { get; }

    /// <inheritdoc/>
    public string Name => "inshop";

    /// <inheritdoc/>
    public string Description => "In-Shop Clothes: Eval/list_eval_partition.txt train / query / gallery (query->gallery, R@1,10,20,30,40,50)";

    /// <inheritdoc/>
    public string Layout => "Eval/list_eval_partition.txt, [Anno/list_bbox_inshop.txt], img/...";

    /// <inheritdoc/>
    public DatasetManifest Read(string root)
    {
        string partitionName = Path.Combine("Eval", "list_eval_partition.txt");
        root = ListFile.ResolveRoot(root, partitionName, "In-shop Clothes Retrieval Benchmark", Name);
        string partition = Path.Combine(root, partitionName);
        var boxes = ReadBoxes(Path.Combine(root, "Anno", "list_bbox_inshop.txt"));

        var entries = new List<ManifestEntry>();
        int declared = -1, rows = 0, index = 0;
        ListLine countLine = default;
        foreach (var line in ListFile.Read(partition))
        {
            index++;
            if (index == 1)
            {
                countLine = line;
                line.ExpectFields(1, "the number of rows");
                declared = (int)line.Long(0, "row count");
                continue;
            }
            if (index == 2)
            {
                if (!(line.Fields is ["image_name", "item_id", "evaluation_status"]))
                    throw line.Error($"expected the header 'image_name item_id evaluation_status', found '{line.Text.Trim()}'");
                continue;
            }
            line.ExpectFields(3, "image_name item_id evaluation_status");
            rows++;
            long item = ItemNumber(line);
            var split = line.Fields[2] switch
            {
                "train" => DatasetSplit.Train,
                "query" => DatasetSplit.Query,
                "gallery" => DatasetSplit.Gallery,
                _ => throw line.Error($"evaluation_status '{line.Fields[2]}' is not train, query or gallery"),
            };
            entries.Add(new ManifestEntry(ListFile.Combine(root, line.Fields[0]), item, split, line.Location)
            {
                Box = boxes.TryGetValue(line.Fields[0], out var box) ? box : null,
            });
        }
        if (declared < 0)
            throw new InvalidDataException($"{partition}: the file is empty");
        if (declared != rows)
            throw countLine.Error($"the count line says {declared} rows, the file has {rows}");

        var notes = new List<string>();
        if (MinTrainImagesPerItem > 1)
        {
            var small = entries.Where(e => e.Split == DatasetSplit.Train).GroupBy(e => e.Label)
                .Where(g => g.Count() < MinTrainImagesPerItem).Select(g => g.Key).ToHashSet();
            int dropped = entries.RemoveAll(e => e.Split == DatasetSplit.Train && small.Contains(e.Label));
            if (small.Count > 0)
                notes.Add($"dropped {small.Count} training item(s) with fewer than {MinTrainImagesPerItem} images ({dropped} image(s)); set inshop_min_train_images: 1 to keep them");
        }

        return new DatasetManifest(Name, root, entries,
            [new ManifestPart(DatasetSplit.Train), new ManifestPart(DatasetSplit.Query), new ManifestPart(DatasetSplit.Gallery)],
            [new RetrievalProtocol("query-gallery", new ManifestPart(DatasetSplit.Query), new ManifestPart(DatasetSplit.Gallery), RecallAt)])
        {
            Notes = notes,
        };
    }

    private static long ItemNumber(ListLine line)
    {
        string text = line.Fields[1];
        string digits = text.StartsWith("id_", StringComparison.Ordinal) ? text[3..] : text;
        if (digits.Length == 0 || !digits.All(char.IsAsciiDigit) || !long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long item))
            throw line.Error($"item_id '{text}' is not of the form id_<digits>");
        return item;
    }

    private static Dictionary<string, BoundingBox> ReadBoxes(string path)
    {
        var boxes = new Dictionary<string, BoundingBox>(StringComparer.Ordinal);
        if (!File.Exists(path))
            return boxes;
        int index = 0;
        foreach (var line in ListFile.Read(path))
        {
            index++;
            if (index == 1)
            {
                line.ExpectFields(1, "the number of rows");
                line.Long(0, "row count");
                continue;
            }
            if (index == 2)
            {
                if (line.Fields.Length != 7 || line.Fields[0] != "image_name")
                    throw line.Error($"expected the header 'image_name clothes_type pose_type x_1 y_1 x_2 y_2', found '{line.Text.Trim()}'");
                continue;
            }
            line.ExpectFields(7, "image_name clothes_type pose_type x_1 y_1 x_2 y_2");
            var box = new BoundingBox(line.Double(3, "x_1"), line.Double(4, "y_1"), line.Double(5, "x_2"), line.Double(6, "y_2"));
            if (!box.IsValid)
                throw line.Error("the box has no area (x_2 must exceed x_1 and y_2 y_1)");
            boxes[line.Fields[0]] = box;
        }
        return boxes;
    }
}
