using System.Runtime.CompilerServices;
using Xbm.Tests.Cli;
using Xbm.Tests.Models;

namespace Xbm.Tests.Docs;

/// <summary>The README's inference snippet compiles (it is <see cref="InferenceExample"/>), runs on a run and on its ONNX export, and is shown verbatim.</summary>
[Collection(CliCollection.Name)]
public sealed class InferenceExampleTests(TinyRuns runs)
{
    [Fact]
    public void TheExampleFindsAGalleryImageFirstWithARunAndWithItsOnnxExport()
    {
        string folder = runs.Scratch("inference-example");
        string onnx = Path.Combine(folder, "model.onnx");
        CliRunner.Succeeds("export", "--checkpoint", runs.Files, "--out", onnx);
        string gallery = Path.Combine(TinyRuns.FolderDataset, "test");
        string query = Path.Combine(gallery, "eel", "eel1.png");

        var fromRun = InferenceExample.Search(runs.Files, gallery, query);
        var fromOnnx = InferenceExample.Search(onnx, gallery, query);

        Assert.Equal(3, fromRun.Count);
        Assert.Equal(query, fromRun[0].Path);
        Assert.InRange(fromRun[0].Similarity, 1 - 1e-5, 1 + 1e-5);
        Assert.Equal(1L, fromRun[0].Label); // eel, the second class folder
        Assert.Equal(fromRun.Select(h => h.Index), fromOnnx.Select(h => h.Index));
        Assert.All(fromRun.Zip(fromOnnx), p => Assert.InRange(Math.Abs(p.First.Similarity - p.Second.Similarity), 0, 1e-5));
        Assert.True(fromRun.Zip(fromRun.Skip(1)).All(p => p.First.Similarity >= p.Second.Similarity), "best first");
    }

    [Fact]
    public void TheReadmeShowsTheCompiledExample()
    {
        var example = Lines(File.ReadAllText(SourceFile()), "// Inference example: begin", "// Inference example: end");
        string readme = File.ReadAllText(Path.Combine(PaperConfigTestsAccess.RepositoryRoot(), "README.md"));
        int start = readme.IndexOf("```csharp\n// Inference example", StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has no ```csharp block starting with the inference example's marker comment");
        int end = readme.IndexOf("```", start + 3, StringComparison.Ordinal);
        var shown = readme[(start + "```csharp\n".Length)..end].Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0 && !l.StartsWith("// Inference example", StringComparison.Ordinal)).ToList();

        Assert.Equal(example, shown);
    }

    private static List<string> Lines(string source, string begin, string end)
    {
        var lines = source.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        int first = lines.FindIndex(l => l.Trim() == begin), last = lines.FindIndex(l => l.Trim() == end);
        Assert.True(first >= 0 && last > first, "markers not found in InferenceExample.cs");
        var body = lines.Skip(first + 1).Take(last - first - 1).Where(l => l.Trim().Length > 0).ToList();
        int indent = body.Min(l => l.Length - l.TrimStart().Length);
        return body.Select(l => l[indent..].TrimEnd()).ToList();
    }

    private static string SourceFile([CallerFilePath] string path = "") => Path.Combine(Path.GetDirectoryName(path)!, "InferenceExample.cs");
}
