using System.Text.Json;
using Xbm.Data.Glyphs;
using Xbm.Data.Manifest;

namespace Xbm.Tests.Data.Glyphs;

/// <summary>The glyph benchmark generator on a small benchmark (6 designs, 20 training and 10 test characters).</summary>
public sealed class GlyphDatasetGeneratorTests(GlyphDatasetFixture fixture) : IClassFixture<GlyphDatasetFixture>
{
    private static readonly string[] Splits = ["train", "validation", "test"];

    private static List<string> Files(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f)).Order(StringComparer.Ordinal).ToList();

    private List<string> Classes(string split) =>
        Directory.GetDirectories(Path.Combine(fixture.First, split)).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList()!;

    [GlyphFontsFact]
    public void TheSameSettingsGiveTheSameBytes()
    {
        var first = Files(fixture.First);
        Assert.Equal(first, Files(fixture.Second));
        Assert.True(first.Count > 100, $"only {first.Count} files");
        foreach (string file in first)
            Assert.True(File.ReadAllBytes(Path.Combine(fixture.First, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(fixture.Second, file))), $"{file} differs");
    }

    [GlyphFontsFact]
    public void AnyImageRendersAloneAsInTheBenchmark()
    {
        // The seed of an image depends only on (seed, character, typeface): rendered alone it has the same bytes.
        string classFolder = Directory.GetDirectories(Path.Combine(fixture.First, "test")).Order(StringComparer.Ordinal).Last();
        int codePoint = Convert.ToInt32(Path.GetFileName(classFolder)[1..], 16);
        var font = GlyphFontsFactAttribute.TestFonts.First(f => File.Exists(Path.Combine(classFolder, f.Id + ".png")));
        using var typefaces = GlyphTypefaces.Open([font]);
        using var renderer = new GlyphRenderer(20, new GlyphAugmentation());
        byte[] alone = renderer.Render(typefaces[font], codePoint, GlyphRandom.ForImage(3, codePoint, font.Id));
        Assert.Equal(File.ReadAllBytes(Path.Combine(classFolder, font.Id + ".png")), alone);

        // Another seed moves or reshapes the glyph.
        byte[] other = renderer.Render(typefaces[font], codePoint, GlyphRandom.ForImage(4, codePoint, font.Id));
        Assert.NotEqual(alone, other);
    }

    [GlyphFontsFact]
    public void SplitsAreDisjointAndHaveTheAskedSizes()
    {
        var train = Classes("train");
        var validation = Classes("validation");
        var test = Classes("test");
        Assert.Equal(18, train.Count);
        Assert.Equal(2, validation.Count);
        Assert.Equal(10, test.Count);
        Assert.Empty(train.Intersect(validation));
        Assert.Empty(train.Intersect(test));
        Assert.Empty(validation.Intersect(test));
        Assert.All(train.Concat(validation).Concat(test), name => Assert.Matches("^u[0-9a-f]{4}$", name));
    }

    [GlyphFontsFact]
    public void EveryClassHasAtLeastMinDesignsImages()
    {
        var designOf = fixture.Manifest.Fonts.ToDictionary(f => f.Id + ".png", f => f.Design);
        foreach (string split in Splits)
            foreach (string classFolder in Directory.GetDirectories(Path.Combine(fixture.First, split)))
            {
                var files = Directory.GetFiles(classFolder).Select(Path.GetFileName).ToList();
                int designs = files.Select(f => designOf[f!]).Distinct().Count();
                Assert.True(designs >= GlyphDatasetFixture.MinDesigns, $"{classFolder}: {designs} designs ({string.Join(", ", files)})");
            }
    }

    [GlyphFontsFact]
    public void TheManifestListsFontsSplitsSeedAndVersion()
    {
        var manifest = GlyphDatasetManifest.Read(Path.Combine(fixture.First, GlyphDatasetGenerator.ManifestFile));
        Assert.Equal(GlyphDatasetManifest.GeneratorName, manifest.Generator);
        Assert.Equal(GlyphDatasetManifest.CurrentVersion, manifest.Version);
        Assert.Equal(3, manifest.Seed);
        Assert.Equal(20, manifest.Size);
        Assert.Equal("folder", manifest.Layout);
        Assert.Equal(GlyphFontsFactAttribute.TestDesigns.Length, manifest.Designs);
        Assert.Equal(GlyphFontsFactAttribute.TestFonts.Select(f => f.Id), manifest.Fonts.Select(f => f.Id));
        Assert.All(manifest.Fonts, f =>
        {
            Assert.True(File.Exists(f.File), f.File);
            Assert.StartsWith("fonts-", f.Package);
            Assert.False(string.IsNullOrWhiteSpace(f.Licence));
            Assert.True(f.Characters > 1000, $"{f.Id}: {f.Characters} characters");
        });
        Assert.Empty(manifest.Skipped);
        Assert.Equal(Splits, manifest.Splits.Select(s => s.Name));
        foreach (var split in manifest.Splits)
        {
            Assert.Equal(Classes(split.Name).Count, split.Classes);
            Assert.Equal(Directory.GetFiles(Path.Combine(fixture.First, split.Name), "*.png", SearchOption.AllDirectories).Length, split.Images);
        }
        // Plain JSON with camelCase keys, readable without this library.
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(fixture.First, GlyphDatasetGenerator.ManifestFile)));
        Assert.Equal("fonts-noto-cjk", json.RootElement.GetProperty("fonts").EnumerateArray().First(f => f.GetProperty("design").GetString() == "Noto Sans CJK").GetProperty("package").GetString());
    }

    [GlyphFontsFact]
    public void TheFolderReaderReadsTheBenchmark()
    {
        var manifest = new FolderReader().Read(fixture.First);
        Assert.Equal(30, manifest.Entries.Select(e => e.Label).Distinct().Count());
        Assert.Equal(fixture.Manifest.Splits.Sum(s => s.Images), manifest.Entries.Count);
        Assert.Equal(2, manifest.Entries.Where(e => e.Split == DatasetSplit.Validation).Select(e => e.Label).Distinct().Count());
    }

    [GlyphFontsFact]
    public void TheCsvLayoutHoldsTheSameImagesAndSplits()
    {
        string output = Path.Combine(fixture.Folder, "csv");
        GlyphDatasetGenerator.Generate(GlyphDatasetFixture.Options(output) with { Layout = GlyphLayout.Csv });
        var csv = new CsvReader().Read(output);
        var folder = new FolderReader().Read(fixture.First);
        static IEnumerable<string> Keys(DatasetManifest m, string root) =>
            m.Entries.Select(e => $"{e.Split}:{m.ClassNames![e.Label]}:{Path.GetFileName(e.Path)}").Order(StringComparer.Ordinal);
        Assert.Equal(Keys(folder, fixture.First), Keys(csv, output));
        // Same pixels as the folder layout: the layout does not change the rendering.
        var entry = csv.Entries[0];
        string name = csv.ClassNames![entry.Label];
        string inFolder = Path.Combine(fixture.First, entry.Split.ToString().ToLowerInvariant(), name, Path.GetFileName(entry.Path));
        Assert.Equal(File.ReadAllBytes(inFolder), File.ReadAllBytes(entry.Path));
    }

    [GlyphFontsFact]
    public void ASecondSeedGivesAnotherSplit()
    {
        var eligible = Enumerable.Range(0x4E00, 500).ToList();
        var a = GlyphSplit.Make(eligible, 200, 100, 0.1, seed: 0);
        var b = GlyphSplit.Make(eligible, 200, 100, 0.1, seed: 1);
        Assert.Equal(a, GlyphSplit.Make(eligible, 200, 100, 0.1, seed: 0), new SplitComparer());
        Assert.NotEqual(a.Test, b.Test);
        Assert.Equal(180, a.Train.Count);
        Assert.Equal(20, a.Validation.Count);
        Assert.Equal(100, a.Test.Count);
        Assert.Empty(a.Train.Intersect(a.Test).Concat(a.Train.Intersect(a.Validation)).Concat(a.Validation.Intersect(a.Test)));
    }

    [GlyphFontsFact]
    public void MissingFontsNameThePackagesToInstall()
    {
        string empty = Directory.CreateDirectory(Path.Combine(fixture.Folder, "no-fonts")).FullName;
        var options = GlyphDatasetFixture.Options(Path.Combine(fixture.Folder, "never")) with { FontRoot = empty };
        var error = Assert.Throws<FileNotFoundException>(() => GlyphDatasetGenerator.Generate(options));
        Assert.Contains("0 of the 6 font designs are installed", error.Message);
        Assert.Contains("apt-get install -y --no-install-recommends fonts-arphic-uming fonts-ipafont-gothic fonts-ipafont-mincho fonts-noto-cjk fonts-wqy-microhei", error.Message);
        Assert.False(Directory.Exists(options.Output));
    }

    [GlyphFontsFact]
    public void MissingFontsAreSkippedAndListedWhenEnoughDesignsRemain()
    {
        // A font root holding every test font but IPA Mincho's file.
        string root = Path.Combine(fixture.Folder, "partial-fonts");
        foreach (var font in GlyphFontsFactAttribute.TestFonts.Where(f => f.Design != "IPA Mincho"))
        {
            string link = GlyphTypefaces.PathOf(font, root);
            Directory.CreateDirectory(Path.GetDirectoryName(link)!);
            if (!File.Exists(link))
                File.CreateSymbolicLink(link, GlyphTypefaces.PathOf(font, GlyphFonts.DefaultRoot));
        }
        var options = GlyphDatasetFixture.Options(Path.Combine(fixture.Folder, "partial")) with { FontRoot = root, TrainClasses = 4, TestClasses = 2, ValidationFraction = 0 };
        var manifest = GlyphDatasetGenerator.Generate(options);
        var skipped = Assert.Single(manifest.Skipped);
        Assert.Equal(("IPA Mincho", "fonts-ipafont-mincho"), (skipped.Design, skipped.Package));
        Assert.Equal(5, manifest.Designs);
        Assert.DoesNotContain(Directory.EnumerateFiles(options.Output, "*.png", SearchOption.AllDirectories), f => f.EndsWith("ipa-mincho-regular.png", StringComparison.Ordinal));
    }

    [GlyphFontsFact]
    public void AnUnwritableParentFailsBeforeAnyWork()
    {
        string parent = TestPaths.UnwritableFolder(fixture.Folder);
        var error = Assert.Throws<IOException>(() => GlyphDatasetGenerator.Generate(GlyphDatasetFixture.Options(Path.Combine(parent, "glyphs"))));
        Assert.StartsWith("--out ", error.Message);
    }

    [GlyphFontsFact]
    public void AskingForMoreCharactersThanCoveredIsAnError()
    {
        var options = GlyphDatasetFixture.Options(Path.Combine(fixture.Folder, "too-many")) with { MinDesigns = 6, TrainClasses = 100_000 };
        var error = Assert.Throws<ArgumentException>(() => GlyphDatasetGenerator.Generate(options));
        Assert.Contains("characters are drawn by enough designs", error.Message);
        Assert.False(Directory.Exists(options.Output));
    }

    [GlyphFontsFact]
    public void AFolderThatIsNotAGlyphBenchmarkIsNotReplaced()
    {
        string output = Directory.CreateDirectory(Path.Combine(fixture.Folder, "precious")).FullName;
        File.WriteAllText(Path.Combine(output, "notes.txt"), "keep me");
        var error = Assert.Throws<IOException>(() => GlyphDatasetGenerator.Generate(GlyphDatasetFixture.Options(output)));
        Assert.Contains("is not a glyph benchmark", error.Message);
        Assert.Equal("keep me", File.ReadAllText(Path.Combine(output, "notes.txt")));
    }

    private sealed class SplitComparer : IEqualityComparer<GlyphSplit>
    {
        public bool Equals(GlyphSplit? x, GlyphSplit? y) =>
            x is not null && y is not null && x.Train.SequenceEqual(y.Train) && x.Validation.SequenceEqual(y.Validation) && x.Test.SequenceEqual(y.Test);

        public int GetHashCode(GlyphSplit obj) => obj.Train.Count;
    }
}
