using System.Text;
using Xbm.IO;
using static TorchSharp.torch;

namespace Xbm.Reporting;

/// <summary>
/// The files `xbm embed` writes and `xbm search` reads: the vectors (.npy, float32 N×d), their labels (.npy, int64 N)
/// and their image paths (text, one per line, in row order), plus a record of the model that embedded them
/// (<see cref="IndexInfo"/>). For <c>vectors.npy</c> the companions are <c>labels.npy</c>, <c>paths.txt</c> and
/// <c>index.json</c> in the same folder; for any other name <c>STEM.npy</c> they are <c>STEM.labels.npy</c>,
/// <c>STEM.paths.txt</c> and <c>STEM.index.json</c>. Each file is written atomically, the vectors last, so a
/// complete vectors file means its companions are complete too.
/// </summary>
/// <param name="VectorsPath">The vectors file.</param>
/// <param name="LabelsPath">The labels file.</param>
/// <param name="PathsPath">The paths file.</param>
/// <param name="InfoPath">The record of the embedding model (JSON).</param>
public sealed record EmbeddingFiles(string VectorsPath, string LabelsPath, string PathsPath, string InfoPath)
{
    /// <summary>The file names that belong with <paramref name="vectorsPath"/>, which must end in .npy.</summary>
    public static EmbeddingFiles For(string vectorsPath)
    {
        string full = Path.GetFullPath(vectorsPath);
        if (!Path.GetExtension(full).Equals(".npy", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"{vectorsPath}: the index is written as NumPy .npy only (vectors.npy, labels.npy, paths.txt); give a name ending in .npy");
        string folder = Path.GetDirectoryName(full)!;
        string stem = Path.GetFileNameWithoutExtension(full);
        return stem == "vectors"
            ? new EmbeddingFiles(full, Path.Combine(folder, "labels.npy"), Path.Combine(folder, "paths.txt"), Path.Combine(folder, "index.json"))
            : new EmbeddingFiles(full, Path.Combine(folder, stem + ".labels.npy"), Path.Combine(folder, stem + ".paths.txt"), Path.Combine(folder, stem + ".index.json"));
    }

    /// <summary>
    /// Writes the files: <paramref name="vectors"/> (N×d, stored as float32), labels and paths (N each), and
    /// <paramref name="info"/> when given.
    /// </summary>
    public void Write(Tensor vectors, IReadOnlyList<long> labels, IReadOnlyList<string> paths, IndexInfo? info = null)
    {
        if (vectors.dim() != 2)
            throw new ArgumentException($"vectors must be N×d, got [{string.Join(", ", vectors.shape)}]", nameof(vectors));
        WriteCompanions(vectors.shape[0], labels, paths, info);
        using var floats = vectors.to(ScalarType.Float32);
        Npy.Write(VectorsPath, floats);
    }

    /// <summary>Writes the files from embeddings held as floats (<see cref="Inference.ImageEmbedder"/>'s), without libtorch.</summary>
    public void Write(Inference.EmbeddingMatrix vectors, IReadOnlyList<long> labels, IReadOnlyList<string> paths, IndexInfo? info = null)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        WriteCompanions(vectors.Count, labels, paths, info);
        Npy.Write(VectorsPath, vectors.Values, vectors.Count, vectors.Dimension);
    }

    private void WriteCompanions(long count, IReadOnlyList<long> labels, IReadOnlyList<string> paths, IndexInfo? info)
    {
        if (labels.Count != count || paths.Count != count)
            throw new ArgumentException($"{count} vectors but {labels.Count} labels and {paths.Count} paths");
        var bad = paths.Select((p, i) => (p, i)).FirstOrDefault(x => x.p.Contains('\n') || x.p.Contains('\r'));
        if (bad.p is not null)
            throw new ArgumentException($"path {bad.i} contains a line break: '{bad.p}'", nameof(paths));
        Npy.Write(LabelsPath, labels.ToArray(), labels.Count);
        var text = new StringBuilder();
        foreach (string path in paths)
            text.Append(path).Append('\n');
        AtomicFile.WriteAllText(PathsPath, text.ToString());
        if (info is not null)
            info.Write(InfoPath);
        else if (File.Exists(InfoPath))
            File.Delete(InfoPath); // a stale record would describe another model
    }

    /// <summary>The record of the model that embedded the index, or null for an index written without one.</summary>
    public IndexInfo? ReadInfo() => File.Exists(InfoPath) ? IndexInfo.Read(InfoPath) : null;

    /// <summary>
    /// Reads the three files and checks they agree (a float32 N×d matrix, N int64 labels, N paths); errors name the
    /// file. The caller owns the returned tensor.
    /// </summary>
    public (Tensor Vectors, long[] Labels, string[] Paths) Read()
    {
        if (Directory.Exists(VectorsPath))
            throw new InvalidDataException($"{VectorsPath}: is a folder, expected the vectors .npy file written by `xbm embed`");
        if (!File.Exists(VectorsPath))
            throw new FileNotFoundException($"{VectorsPath}: no such index file (write one with `xbm embed --out {Path.GetFileName(VectorsPath)}`)", VectorsPath);
        foreach (string companion in new[] { LabelsPath, PathsPath })
            if (!File.Exists(companion))
                throw new FileNotFoundException($"{companion}: missing; `xbm embed` writes it next to {Path.GetFileName(VectorsPath)}", companion);
        var header = Npy.ReadHeader(VectorsPath);
        if (header.DType != ScalarType.Float32 || header.Shape.Length != 2)
            throw new InvalidDataException($"{VectorsPath}: expected a float32 N×d matrix, got '{header.Descr}' [{string.Join(", ", header.Shape)}]");
        long[] labels = Npy.Read<long>(LabelsPath, out long[] labelShape);
        if (labelShape.Length != 1 || labelShape[0] != header.Shape[0])
            throw new InvalidDataException($"{LabelsPath}: holds [{string.Join(", ", labelShape)}] labels, expected {header.Shape[0]} (one per row of {Path.GetFileName(VectorsPath)})");
        string[] paths = File.ReadAllText(PathsPath).Split('\n');
        if (paths.Length > 0 && paths[^1].Length == 0)
            paths = paths[..^1];
        if (paths.Length != header.Shape[0])
            throw new InvalidDataException($"{PathsPath}: holds {paths.Length} lines, expected {header.Shape[0]} (one per row of {Path.GetFileName(VectorsPath)})");
        return (Npy.Read(VectorsPath), labels, paths);
    }
}
