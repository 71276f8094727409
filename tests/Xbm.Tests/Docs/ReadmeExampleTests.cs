using System.Runtime.CompilerServices;
using Xbm.Tests.Models;

namespace Xbm.Tests.Docs;

/// <summary>The README's library example compiles (it is <see cref="ReadmeExample"/>), runs, and is shown verbatim.</summary>
public sealed class ReadmeExampleTests : IDisposable
{
    private readonly string _folder = TestPaths.NewTemporaryFolder("xbm-readme-example");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void TheExampleTrainsWithTheMemoryAndEvaluates()
    {
        var result = ReadmeExample.Train(TestPaths.FashionMnistFixture, Path.Combine(_folder, "run"), iterations: 40, memoryStart: 21);

        Assert.Equal(40, result.Iterations);
        Assert.InRange(result.FinalMetrics["test"]["Recall@1"], 0.2, 1);
        // The memory was on from iteration 21: 20 batches of 32 rows in a memory of the 750 training images.
        var rows = File.ReadAllLines(Path.Combine(_folder, "run", "metrics.csv"));
        int count = Array.IndexOf(rows[0].Split(','), "memory_count");
        var last = rows[^1].Split(',');
        Assert.Equal("40", last[0]);
        Assert.Equal("640", last[count]);
        Assert.True(File.Exists(Path.Combine(_folder, "run", "checkpoints", "latest")));
    }

    [Fact]
    public void TheReadmeShowsTheCompiledExample()
    {
        var example = Lines(File.ReadAllText(SourceFile()), "// README example: begin", "// README example: end");
        string readme = File.ReadAllText(Path.Combine(PaperConfigTestsAccess.RepositoryRoot(), "README.md"));
        int start = readme.IndexOf("```csharp\n// README example", StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has no ```csharp block starting with the example's marker comment");
        int end = readme.IndexOf("```", start + 3, StringComparison.Ordinal);
        var shown = readme[(start + "```csharp\n".Length)..end].Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0 && !l.StartsWith("// README example", StringComparison.Ordinal)).ToList();

        Assert.Equal(example, shown);
    }

    private static List<string> Lines(string source, string begin, string end)
    {
        var lines = source.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        int first = lines.FindIndex(l => l.Trim() == begin), last = lines.FindIndex(l => l.Trim() == end);
        Assert.True(first >= 0 && last > first, "markers not found in ReadmeExample.cs");
        var body = lines.Skip(first + 1).Take(last - first - 1).Where(l => l.Trim().Length > 0).ToList();
        int indent = body.Min(l => l.Length - l.TrimStart().Length);
        return body.Select(l => l[indent..].TrimEnd()).ToList();
    }

    private static string SourceFile([CallerFilePath] string path = "") => Path.Combine(Path.GetDirectoryName(path)!, "ReadmeExample.cs");
}
