namespace Xbm.Data.Manifest;

/// <summary>
/// CUB-200-2011: joins images.txt, image_class_labels.txt, classes.txt and (when present) bounding_boxes.txt
/// on the image id, never on line order. Zero-shot split: the first half of the class ids (1–100) train, the
/// rest (101–200) test; train_test_split.txt (a classification split) is ignored. Test: self-retrieval,
/// Recall@1, 2, 4, 8.
/// </summary>
public sealed class CubReader : IDatasetReader
{
    /// <summary>The K values of CUB's Recall@K.</summary>
    public static readonly IReadOnlyList<int> RecallAt = [1, 2, 4, 8];

    /// <inheritdoc/>
    public string Name => "cub";

    /// <inheritdoc/>
    public string Description => "CUB-200-2011: classes 1-100 train, 101-200 test (self-retrieval, R@1,2,4,8)";

    /// <inheritdoc/>
    public string Layout => "images.txt, image_class_labels.txt, classes.txt, [bounding_boxes.txt], images/NNN.Class_Name/*.jpg (root: CUB_200_2011/ or its parent)";

    /// <inheritdoc/>
    public DatasetManifest Read(string root)
    {
        root = ListFile.ResolveRoot(root, "images.txt", "CUB_200_2011", Name);
        string imagesFile = ListFile.Require(Path.Combine(root, "images.txt"), Name);
        string labelsFile = ListFile.Require(Path.Combine(root, "image_class_labels.txt"), Name);
        string classesFile = ListFile.Require(Path.Combine(root, "classes.txt"), Name);
        string boxesFile = Path.Combine(root, "bounding_boxes.txt");

        var classes = new Dictionary<long, (string Name, ListLine Line)>();
        foreach (var line in ListFile.Read(classesFile))
        {
            if (line.Fields.Length < 2)
                throw line.Error($"expected '<class_id> <class_name>', found '{line.Text.Trim()}'");
            long id = line.Long(0, "class id");
            if (!classes.TryAdd(id, (line.Fields[1], line)))
                throw line.Error($"class id {id} is listed twice (first at line {classes[id].Line.Number})");
        }

        var images = new Dictionary<long, (string Path, ListLine Line)>();
        foreach (var line in ListFile.Read(imagesFile))
        {
            line.ExpectFields(2, "<image_id> <path>");
            long id = line.Long(0, "image id");
            if (!images.TryAdd(id, (line.Fields[1], line)))
                throw line.Error($"image id {id} is listed twice (first at line {images[id].Line.Number})");
        }

        var labels = new Dictionary<long, (long Class, ListLine Line)>();
        foreach (var line in ListFile.Read(labelsFile))
        {
            line.ExpectFields(2, "<image_id> <class_id>");
            long id = line.Long(0, "image id");
            long classId = line.Long(1, "class id");
            if (!images.ContainsKey(id))
                throw line.Error($"image id {id} is not in {imagesFile}");
            if (!classes.ContainsKey(classId))
                throw line.Error($"class id {classId} is not in {classesFile}");
            if (!labels.TryAdd(id, (classId, line)))
                throw line.Error($"image id {id} is labelled twice (first at line {labels[id].Line.Number})");
        }

        var boxes = new Dictionary<long, BoundingBox>();
        if (File.Exists(boxesFile))
        {
            foreach (var line in ListFile.Read(boxesFile))
            {
                line.ExpectFields(5, "<image_id> <x> <y> <width> <height>");
                long id = line.Long(0, "image id");
                if (!images.ContainsKey(id))
                    throw line.Error($"image id {id} is not in {imagesFile}");
                var box = BoundingBox.FromCornerAndSize(line.Double(1, "x"), line.Double(2, "y"), line.Double(3, "width"), line.Double(4, "height"));
                if (!box.IsValid)
                    throw line.Error("the box has no area (width and height must be positive)");
                if (!boxes.TryAdd(id, box))
                    throw line.Error($"image id {id} has two boxes");
            }
        }

        var train = ListFile.FirstHalf(classes.Keys);
        var entries = new List<ManifestEntry>(images.Count);
        foreach (var (id, (path, line)) in images.OrderBy(p => p.Key))
        {
            if (!labels.TryGetValue(id, out var label))
                throw line.Error($"image id {id} has no class in {labelsFile}");
            entries.Add(new ManifestEntry(ListFile.Combine(root, "images/" + path), label.Class, train.Contains(label.Class) ? DatasetSplit.Train : DatasetSplit.Test, line.Location)
            {
                Box = boxes.TryGetValue(id, out var box) ? box : null,
            });
        }

        return new DatasetManifest(Name, root, entries,
            [new ManifestPart(DatasetSplit.Train), new ManifestPart(DatasetSplit.Test)],
            [new RetrievalProtocol("test", new ManifestPart(DatasetSplit.Test), null, RecallAt)])
        {
            LabelRange = classes.Count == 0 ? null : (classes.Keys.Min(), classes.Keys.Max()),
            ClassNames = classes.ToDictionary(p => p.Key, p => p.Value.Name),
        };
    }
}
