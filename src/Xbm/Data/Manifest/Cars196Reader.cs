using Xbm.IO;

namespace Xbm.Data.Manifest;

/// <summary>
/// Cars196 (Stanford Cars, the "all images" download): reads the struct array <c>annotations</c> of
/// cars_annos.mat (fields relative_im_path, bbox_x1, bbox_y1, bbox_x2, bbox_y2, class, test) and the cell
/// array <c>class_names</c>. Zero-shot split: the first half of the classes (1–98) train, the rest (99–196)
/// test; the <c>test</c> field (a classification split) is ignored. Test: self-retrieval, Recall@1, 2, 4, 8.
/// </summary>
public sealed class Cars196Reader : IDatasetReader
{
    /// <summary>The K values of Cars196's Recall@K.</summary>
    public static readonly IReadOnlyList<int> RecallAt = [1, 2, 4, 8];

    /// <inheritdoc/>
    public string Name => "cars196";

    /// <inheritdoc/>
    public string Description => "Cars196: classes 1-98 train, 99-196 test (self-retrieval, R@1,2,4,8)";

    /// <inheritdoc/>
    public string Layout => "cars_annos.mat (MATLAB v5: annotations, class_names), car_ims/*.jpg";

    /// <inheritdoc/>
    public DatasetManifest Read(string root)
    {
        root = ListFile.ResolveRoot(root, "cars_annos.mat", "stanford_cars", Name);
        string matPath = Path.Combine(root, "cars_annos.mat");
        var mat = MatFile.Read(matPath);
        var annotations = mat.Get<MatStructArray>("annotations", matPath);
        foreach (string field in new[] { "relative_im_path", "class" })
            if (!annotations.HasField(field))
                throw new InvalidDataException($"{matPath}: annotations has no field '{field}' (fields: {string.Join(", ", annotations.FieldNames)})");
        bool hasBoxes = new[] { "bbox_x1", "bbox_y1", "bbox_x2", "bbox_y2" }.All(annotations.HasField);

        Dictionary<long, string>? classNames = null;
        if (mat.Variables.TryGetValue("class_names", out var namesArray))
        {
            if (namesArray is not MatCellArray cell)
                throw new InvalidDataException($"{matPath}: class_names is a {namesArray.Class.ToString().ToLowerInvariant()} array, expected a cell array");
            classNames = new Dictionary<long, string>();
            for (int i = 0; i < cell.Cells.Count; i++)
                classNames[i + 1] = cell.Cells[i] is MatCharArray text ? text.Text : throw new InvalidDataException($"{matPath}: class_names{{{i + 1}}} is not text");
        }

        var rows = new List<(string Path, long Class, BoundingBox? Box, SourceLocation Where)>(annotations.Count);
        for (int i = 0; i < annotations.Count; i++)
        {
            var where = new SourceLocation($"{matPath}: annotations({i + 1})", 0);
            InvalidDataException Error(string message) => new($"{where}: {message}");
            string path = annotations[i, "relative_im_path"] is MatCharArray p && p.Text.Length > 0
                ? p.Text.Trim()
                : throw Error("relative_im_path is not a non-empty string");
            long classId = Number(annotations[i, "class"], "class", Error) is var c && c == Math.Floor(c) ? (long)c : throw Error($"class {c} is not an integer");
            BoundingBox? box = null;
            if (hasBoxes)
            {
                box = new BoundingBox(Number(annotations[i, "bbox_x1"], "bbox_x1", Error), Number(annotations[i, "bbox_y1"], "bbox_y1", Error),
                    Number(annotations[i, "bbox_x2"], "bbox_x2", Error), Number(annotations[i, "bbox_y2"], "bbox_y2", Error));
                if (!box.Value.IsValid)
                    throw Error("the box has no area (bbox_x2 must exceed bbox_x1 and bbox_y2 bbox_y1)");
            }
            rows.Add((path, classId, box, where));
        }

        long classCount = classNames?.Count ?? (rows.Count == 0 ? 0 : rows.Max(r => r.Class));
        foreach (var row in rows)
            if (row.Class < 1 || row.Class > classCount)
                throw new InvalidDataException($"{row.Where}: class {row.Class} is out of range [1, {classCount}]");
        var train = ListFile.FirstHalf(Enumerable.Range(1, (int)classCount).Select(i => (long)i));
        var entries = rows.Select(r => new ManifestEntry(ListFile.Combine(root, r.Path), r.Class, train.Contains(r.Class) ? DatasetSplit.Train : DatasetSplit.Test, r.Where) { Box = r.Box }).ToList();

        return new DatasetManifest(Name, root, entries,
            [new ManifestPart(DatasetSplit.Train), new ManifestPart(DatasetSplit.Test)],
            [new RetrievalProtocol("test", new ManifestPart(DatasetSplit.Test), null, RecallAt)])
        {
            LabelRange = (1, classCount),
            ClassNames = classNames,
        };
    }

    private static double Number(MatArray value, string field, Func<string, InvalidDataException> error) =>
        value is MatNumericArray { Count: 1 } n ? n.Real[0] : throw error($"{field} is not a single number ({value})");
}
