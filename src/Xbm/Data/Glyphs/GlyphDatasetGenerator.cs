using System.Collections.Concurrent;
using System.Text;
using Xbm.IO;

namespace Xbm.Data.Glyphs;

/// <summary>
/// Writes the many-class glyph benchmark: a class is a CJK character, an instance is a typeface (design and
/// weight) from Debian's font packages. Characters that at least <see cref="GlyphDatasetOptions.MinDesigns"/>
/// designs draw are split by character (zero-shot), each rendered by every instance that draws it, and written in
/// the folder or CSV layout with a <c>manifest.json</c>. The whole folder is rendered under a temporary name and
/// renamed at the end.
/// </summary>
public static class GlyphDatasetGenerator
{
    /// <summary>The name of the manifest file in the output folder.</summary>
    public const string ManifestFile = "manifest.json";

    /// <summary>
    /// Opens the fonts of <paramref name="options"/> and checks that enough designs are installed.
    /// </summary>
    /// <exception cref="FileNotFoundException">Fewer designs than <see cref="GlyphDatasetOptions.MinDesigns"/>; the message names the packages to install.</exception>
    public static GlyphTypefaces OpenFonts(GlyphDatasetOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var typefaces = GlyphTypefaces.Open(options.Fonts, options.FontRoot);
        int wanted = options.Fonts.Select(f => f.Design).Distinct().Count();
        if (wanted < options.MinDesigns)
        {
            typefaces.Dispose();
            throw new ArgumentException($"--min-designs: {options.MinDesigns} is more than the {wanted} designs selected");
        }
        if (typefaces.DesignCount < options.MinDesigns)
        {
            var packages = GlyphFonts.Packages(typefaces.Missing);
            typefaces.Dispose();
            throw new FileNotFoundException(
                $"glyphs: {typefaces.DesignCount} of the {wanted} font designs are installed under {options.FontRoot}, "
                + $"fewer than --min-designs {options.MinDesigns}; install them: apt-get install -y --no-install-recommends {string.Join(' ', packages)}");
        }
        return typefaces;
    }

    /// <summary>
    /// Generates the benchmark. <paramref name="plan"/> is told the number of images before rendering starts,
    /// <paramref name="progress"/> the number rendered so far (from any thread).
    /// </summary>
    /// <returns>The manifest written.</returns>
    public static GlyphDatasetManifest Generate(GlyphDatasetOptions options, Action<int>? plan = null, Action<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        string output = Path.GetFullPath(options.Output);
        CheckOutput(output);

        using var typefaces = OpenFonts(options);
        int workers = options.Workers > 0 ? options.Workers : Environment.ProcessorCount;
        var coverage = GlyphCoverage.Measure(typefaces, workers);
        var eligible = coverage.Eligible(options.MinDesigns);
        var split = GlyphSplit.Make(eligible, options.TrainClasses, options.TestClasses, options.ValidationFraction, options.Seed);

        var splits = new List<(string Name, IReadOnlyList<int> Characters)> { ("train", split.Train) };
        if (split.Validation.Count > 0)
            splits.Add(("validation", split.Validation));
        splits.Add(("test", split.Test));

        // One job per character: the instances that draw it, in table order.
        var jobs = splits.SelectMany(s => s.Characters.Select(c => (Split: s.Name, CodePoint: c, Fonts: coverage.InstancesOf(c)))).ToList();
        int total = jobs.Sum(j => j.Fonts.Count);
        plan?.Invoke(total);

        var manifest = new GlyphDatasetManifest
        {
            Seed = options.Seed,
            Size = options.Size,
            MinDesigns = options.MinDesigns,
            Layout = options.Layout.ToString().ToLowerInvariant(),
            Augmentation = options.Augmentation,
            Designs = typefaces.DesignCount,
            EligibleCharacters = eligible.Count,
            Splits = splits.Select(s => new GlyphSplitSize(s.Name, s.Characters.Count, jobs.Where(j => j.Split == s.Name).Sum(j => j.Fonts.Count))).ToList(),
            Fonts = typefaces.Found.Select(f => Entry(f, options.FontRoot, coverage.Count(f))).ToList(),
            Skipped = typefaces.Missing.Select(f => Entry(f, options.FontRoot, 0)).ToList(),
        };

        AtomicFile.WriteFolder(output, folder =>
        {
            string Relative(string splitName, int codePoint) => options.Layout == GlyphLayout.Folder
                ? Path.Combine(splitName, GlyphSplit.ClassName(codePoint))
                : Path.Combine("images", GlyphSplit.ClassName(codePoint));
            foreach (var job in jobs)
                Directory.CreateDirectory(Path.Combine(folder, Relative(job.Split, job.CodePoint)));

            int done = 0;
            var renderers = new ConcurrentBag<GlyphRenderer>();
            try
            {
                Parallel.ForEach(Partitioner.Create(0, jobs.Count, 16), new ParallelOptions { MaxDegreeOfParallelism = workers }, range =>
                {
                    if (!renderers.TryTake(out var renderer))
                        renderer = new GlyphRenderer(options.Size, options.Augmentation);
                    try
                    {
                        for (int i = range.Item1; i < range.Item2; i++)
                        {
                            var job = jobs[i];
                            string classFolder = Path.Combine(folder, Relative(job.Split, job.CodePoint));
                            foreach (var font in job.Fonts)
                            {
                                byte[] png = renderer.Render(typefaces[font], job.CodePoint, GlyphRandom.ForImage(options.Seed, job.CodePoint, font.Id));
                                File.WriteAllBytes(Path.Combine(classFolder, font.Id + ".png"), png);
                            }
                            progress?.Invoke(Interlocked.Add(ref done, job.Fonts.Count));
                        }
                    }
                    finally
                    {
                        renderers.Add(renderer);
                    }
                });
            }
            finally
            {
                foreach (var renderer in renderers)
                    renderer.Dispose();
            }

            if (options.Layout == GlyphLayout.Csv)
            {
                var csv = new StringBuilder("path,label,split\n");
                foreach (var job in jobs)
                    foreach (var font in job.Fonts)
                        csv.Append($"images/{GlyphSplit.ClassName(job.CodePoint)}/{font.Id}.png,{GlyphSplit.ClassName(job.CodePoint)},{job.Split}\n");
                File.WriteAllText(Path.Combine(folder, "manifest.csv"), csv.ToString());
            }
            File.WriteAllText(Path.Combine(folder, ManifestFile), manifest.ToJson());
        });
        return manifest;
    }

    /// <summary>
    /// Before any work: the output's parent must be writable, and an existing non-empty output folder must be an
    /// earlier glyph benchmark (hold this generator's manifest.json), which is then replaced.
    /// </summary>
    private static void CheckOutput(string output)
    {
        if (File.Exists(output))
            throw new IOException($"--out: {output} is a file, expected a folder");
        // The benchmark is rendered in a temporary sibling and renamed: the parent folder must be writable.
        OutputTarget.EnsureFolder(Path.GetDirectoryName(output)!, "--out");
        if (!Directory.Exists(output) || !Directory.EnumerateFileSystemEntries(output).Any())
            return;
        string manifest = Path.Combine(output, ManifestFile);
        if (!File.Exists(manifest))
            throw new IOException($"--out: {output} exists and is not a glyph benchmark (no {ManifestFile}); choose a new folder or remove it");
        GlyphDatasetManifest.Read(manifest);
    }

    private static GlyphFontEntry Entry(GlyphFont font, string root, int characters) =>
        new(GlyphTypefaces.PathOf(font, root), font.FaceIndex, font.Design, font.Weight, font.Package, font.Licence, font.Id, characters);
}
