using Xbm.Inference;

namespace Xbm.Tests.Docs;

/// <summary>
/// The README's "Using a trained model from C#" snippet, compiled here. <see cref="InferenceExampleTests"/> runs it on a
/// run folder and on its ONNX export, and checks that the README shows exactly the lines between the markers.
/// </summary>
internal static class InferenceExample
{
    public static IReadOnlyList<SearchHit> Search(string model, string galleryFolder, string queryImage)
    {
        // Inference example: begin
        // A run folder (TorchSharp) or a model written by `xbm export` (ONNX Runtime): the same embeddings.
        using var embedder = ImageEmbedder.Load(model);

        // Gallery images in a folder per class; the class index is the label.
        var gallery = Directory.GetFiles(galleryFolder, "*.*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        var classes = gallery.Select(p => Path.GetFileName(Path.GetDirectoryName(p)!)).Distinct().ToList();
        var labels = gallery.Select(p => (long)classes.IndexOf(Path.GetFileName(Path.GetDirectoryName(p)!))).ToList();
        using var index = new EmbeddingIndex(embedder.EmbedFiles(gallery), labels, gallery);

        // The 3 nearest gallery images of a query image, best first.
        var query = embedder.EmbedFiles([queryImage]);
        var hits = index.Search(query.Row(0), k: 3);
        foreach (var hit in hits)
            Console.WriteLine($"{hit.Similarity:F3} {classes[(int)hit.Label]} {hit.Path}");
        // Inference example: end
        return hits;
    }
}
