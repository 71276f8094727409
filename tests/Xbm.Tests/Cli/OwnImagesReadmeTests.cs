using Xbm.Data.Images;
using Xbm.Reporting;
using Xbm.Tests.Data.Images;
using Xbm.Training;

namespace Xbm.Tests.Cli;

/// <summary>
/// The README's "Your own images" commands, read from the README and run in process on a generated folder dataset
/// of PNG files (prefetch on, as the example config has it): train on the folder, embed a gallery, search it.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class OwnImagesReadmeTests(TinyRuns runs)
{
    private static IReadOnlyList<string[]> ReadmeCommands()
    {
        string readme = File.ReadAllText(Path.Combine(Xbm.Tests.Models.PaperConfigTestsAccess.RepositoryRoot(), "README.md"));
        int section = readme.IndexOf("## Your own images", StringComparison.Ordinal);
        Assert.True(section >= 0, "the README has a \"Your own images\" section");
        int start = readme.IndexOf("```bash\n", section, StringComparison.Ordinal) + "```bash\n".Length;
        int end = readme.IndexOf("```", start, StringComparison.Ordinal);
        return readme[start..end].Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
    }

    [Fact]
    public void TrainEmbedAndSearchAsTheReadmeSays()
    {
        string work = runs.Scratch("own-images");
        PngFolders.Write(Path.Combine(work, "my-images"), ["ant", "bee", "cat", "dog", "eel", "fox", "gnu", "hen"], 4, side: 40);
        string gallery = Path.Combine(work, "my-gallery");
        foreach (var (pattern, name) in new[] { (2, "cat"), (3, "dog") })
        {
            Directory.CreateDirectory(Path.Combine(gallery, name));
            for (int i = 0; i < 3; i++)
                PngFolders.WriteOne(Path.Combine(gallery, name, $"{name}{i}.png"), pattern, 10 + i, side: 40);
        }
        string photo = Path.Combine(work, "my-photo.jpg");
        string png = PngFolders.WriteOne(Path.Combine(work, "photo.png"), 3, 20, side: 40);
        File.WriteAllBytes(photo, ImageDecoder.EncodeJpeg(ImageDecoder.Decode(png)));

        string Resolve(string token) => token switch
        {
            "configs/examples/folder.yaml" => Path.Combine(Xbm.Tests.Models.PaperConfigTestsAccess.RepositoryRoot(), "configs", "examples", "folder.yaml"),
            _ when token.StartsWith("data.root=", StringComparison.Ordinal) => "data.root=" + Path.Combine(work, token["data.root=".Length..]),
            _ when token.StartsWith('-') || token is "train" or "embed" or "search" => token,
            _ => Path.Combine(work, token), // my-images, runs/my-images, my-gallery, my-index/vectors.npy, my-photo.jpg
        };
        var commands = ReadmeCommands();
        Assert.Equal(["train", "embed", "search"], commands.Select(c => c[1]));
        Assert.All(commands, c => Assert.Equal("xbm", c[0]));

        // 1. Train. The only changes to the README's command: a few iterations, the memory from the second, and
        // smaller crops (32 instead of 64 pixels) to keep the test fast.
        var train = commands[0].Skip(1).Select(Resolve)
            .Concat(["--set", "iterations=4", "--set", "memory.start_iteration=2", "--set", "data.image_size=32", "--set", "data.resize=36"]).ToArray();
        CliRunner.Succeeds(train);
        string run = Path.Combine(work, "runs", "my-images");
        Assert.Equal(4, Checkpoint.ReadInfo(Checkpoint.Latest(run)!).Iteration);
        Assert.Contains("prefetch: 2", File.ReadAllText(Path.Combine(run, "config.yaml")));

        // 2. Embed the gallery.
        string embedded = CliRunner.Succeeds(commands[1].Skip(1).Select(Resolve).ToArray());
        Assert.Contains("embedded 6 images (2 class folders, 0 without a class;", embedded);
        var files = EmbeddingFiles.For(Path.Combine(work, "my-index", "vectors.npy"));
        var (vectors, labels, paths) = files.Read();
        vectors.Dispose();
        Assert.Equal([0L, 0, 0, 1, 1, 1], labels);
        Assert.All(paths, p => Assert.StartsWith(gallery, p));
        Assert.Equal(Checkpoint.Latest(run), files.ReadInfo()!.Checkpoint);

        // 3. Search it: the query's nearest gallery images, by class name.
        string found = CliRunner.Succeeds(commands[2].Skip(1).Select(Resolve).ToArray());
        Assert.Contains($"query: {photo}", found);
        Assert.Contains("(dog)", found);
        Assert.Contains(Path.Combine(gallery, "dog", "dog0.png"), found);

        // Continuing with more iterations makes the index's checkpoint stale: search refuses it until re-embedded.
        CliRunner.Succeeds(train.Select(t => t == "iterations=4" ? "iterations=6" : t).ToArray());
        Assert.Equal(6, Checkpoint.ReadInfo(Checkpoint.Latest(run)!).Iteration);
        Assert.Contains("embedded with", CliRunner.FailsWithUserError(commands[2].Skip(1).Select(Resolve).ToArray()));
        CliRunner.Succeeds(commands[1].Skip(1).Select(Resolve).ToArray());
        CliRunner.Succeeds(commands[2].Skip(1).Select(Resolve).ToArray());
    }
}
