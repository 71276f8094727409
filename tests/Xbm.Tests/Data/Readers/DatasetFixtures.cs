using System.Text.Json;
using Xbm.Data.Manifest;

namespace Xbm.Tests.Data.Readers;

/// <summary>The generated dataset fixtures (tools/fixtures/make_dataset_fixtures.py) and their expected.json.</summary>
internal static class DatasetFixtures
{
    public static string Path(params string[] parts) =>
        System.IO.Path.Combine([AppContext.BaseDirectory, "Fixtures", "Datasets", .. parts]);

    public static JsonElement Expected(string layout) =>
        JsonDocument.Parse(File.ReadAllText(Path(layout, "expected.json"))).RootElement;

    /// <summary>A fresh copy of a fixture in a temporary folder (for tests that edit files).</summary>
    public static string CopyToTemp(string layout)
    {
        string target = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "xbm-tests", $"{layout}-{Guid.NewGuid():N}");
        foreach (string file in Directory.EnumerateFiles(Path(layout), "*", SearchOption.AllDirectories))
        {
            string destination = System.IO.Path.Combine(target, System.IO.Path.GetRelativePath(Path(layout), file));
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }
        return target;
    }

    /// <summary>Counts per part equal expected.json's "counts" (part name → [images, classes]), and the validator finds no error.</summary>
    public static void AssertCounts(DatasetManifest manifest, JsonElement counts, params string[] skip)
    {
        var report = ManifestValidator.Validate(manifest);
        Assert.False(report.HasErrors, string.Join("\n", report.Errors));
        foreach (var property in counts.EnumerateObject())
        {
            if (skip.Contains(property.Name))
                continue;
            var count = Assert.Single(report.Counts, c => c.Part.Name == property.Name);
            Assert.Equal(property.Value[0].GetInt32(), count.Images);
            Assert.Equal(property.Value[1].GetInt32(), count.Classes);
        }
    }

    /// <summary>Every entry in expected.json's "entries" (path relative to the root) has the expected label, split, box and super-class.</summary>
    public static void AssertEntries(DatasetManifest manifest, JsonElement entries)
    {
        var byPath = manifest.Entries.GroupBy(e => e.Path).ToDictionary(g => g.Key, g => g.First());
        int checkedCount = 0;
        foreach (var property in entries.EnumerateObject())
        {
            string full = System.IO.Path.GetFullPath(System.IO.Path.Combine(manifest.Root, property.Name));
            Assert.True(byPath.TryGetValue(full, out var entry), $"no entry for {property.Name}");
            var e = property.Value;
            Assert.Equal(e.GetProperty("label").GetInt64(), entry!.Label);
            if (e.TryGetProperty("split", out var split))
                Assert.Equal(split.GetString(), entry.Split.Name());
            if (e.TryGetProperty("super", out var super))
                Assert.Equal(super.GetInt64(), entry.SuperClass);
            if (e.TryGetProperty("box", out var box))
            {
                Assert.NotNull(entry.Box);
                var b = entry.Box!.Value;
                Assert.Equal([box[0].GetDouble(), box[1].GetDouble(), box[2].GetDouble(), box[3].GetDouble()], new[] { b.Left, b.Top, b.Right, b.Bottom });
            }
            checkedCount++;
        }
        Assert.True(checkedCount > 0);
    }

    /// <summary>The exception's message starts with "file:line:" for the file and line given.</summary>
    public static void AssertNamesLine(Exception e, string file, int line)
    {
        Assert.Contains($"{file}:{line}:", e.Message);
    }
}
