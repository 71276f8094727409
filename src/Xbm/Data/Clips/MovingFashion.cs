using Xbm.Data.Images;
using Xbm.IO;
using Xbm.Runtime;

namespace Xbm.Data.Clips;

/// <summary>
/// A clip task where frame order decides the class (<c>xbm datasets make moving-fashion</c>): a Fashion-MNIST item
/// (28×28) moves in a straight line across a black square canvas, and the class is the direction: left, right, up
/// or down. Left and right (and up and down) clips run through the same positions in opposite orders, so the set of
/// frames of a left clip is that of a right clip: a model that averages single frames cannot tell them apart (at best
/// 50 %: it can tell horizontal from vertical), a model of frame order can. Training clips take items from the
/// official training file, test clips from the test file. With <see cref="MovingFashionOptions.ItemClasses"/> the class
/// is the direction and the item's Fashion-MNIST class ("left-Trouser"; 40 classes, each drawn equally often): a
/// model then needs both what moves and where to. Layout: OUT/{train,test}/&lt;direction&gt;/&lt;clip&gt;/frame_K.png,
/// the class-folder clip layout of <see cref="ClipSet"/>; written under a temporary name and renamed into place.
/// </summary>
public static class MovingFashion
{
    /// <summary>The classes, in label order (the ordinal order of the folder names).</summary>
    public static IReadOnlyList<string> Directions { get; } = ["down", "left", "right", "up"];

    /// <summary>Writes the dataset; returns the clips written per split.</summary>
    public static IReadOnlyDictionary<string, int> Make(MovingFashionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        string full = Path.GetFullPath(options.Output);
        if (File.Exists(full) || (Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any()))
            throw new IOException($"{full}: already exists and is not empty; write into a new folder");
        var data = FashionMnist.Read(options.Root);
        var counts = new Dictionary<string, int>();
        if (Directory.Exists(full))
            Directory.Delete(full);
        AtomicFile.WriteFolder(full, folder =>
        {
            foreach (var (split, perClass, fromTrainFile) in new[] { ("train", options.TrainPerClass, true), ("test", options.TestPerClass, false) })
            {
                var pool = Enumerable.Range(0, data.Count).Where(i => (i < data.TrainFileCount) == fromTrainFile).ToList();
                var random = SeededRandom.Derive(options.Seed, fromTrainFile ? 1UL : 2UL);
                var byClass = pool.GroupBy(i => data.Labels[i]).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.ToList());
                int clip = 0;
                foreach (string direction in Directions)
                    foreach (long itemClass in options.ItemClasses ? byClass.Keys.ToArray() : new[] { -1L })
                        for (int k = 0; k < perClass; k++, clip++)
                        {
                            var candidates = itemClass < 0 ? pool : byClass[itemClass];
                            int item = candidates[random.Next(candidates.Count)];
                            int offset = random.Next(options.Canvas - FashionMnist.Side + 1);
                            string className = itemClass < 0 ? direction : $"{direction}-{FashionMnistExport.FolderName(itemClass)}";
                            string clipFolder = Path.Combine(folder, split, className, $"{clip:D5}");
                            Directory.CreateDirectory(clipFolder);
                            for (int f = 0; f < options.Frames; f++)
                                File.WriteAllBytes(Path.Combine(clipFolder, $"frame_{f}.png"),
                                    ImageDecoder.EncodePng(Frame(data, item, direction, f, offset, options)));
                        }
                counts[split] = clip;
            }
        });
        return counts;
    }

    /// <summary>Frame <paramref name="f"/> of a clip: the item at its position along the path, on the black canvas.</summary>
    public static RgbImage Frame(FashionMnistData data, int item, string direction, int f, int offset, MovingFashionOptions options)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        int travel = options.Canvas - FashionMnist.Side;
        // The reversed directions visit the same positions in the reverse order, so that their sets of frames are equal.
        int Along(int frame) => (int)Math.Round((double)frame * travel / Math.Max(1, options.Frames - 1));
        int along = Along(f), back = Along(options.Frames - 1 - f);
        (int x, int y) = direction switch
        {
            "right" => (along, offset),
            "left" => (back, offset),
            "down" => (offset, along),
            "up" => (offset, back),
            _ => throw new ArgumentException($"unknown direction '{direction}' (expected {string.Join(", ", Directions)})", nameof(direction)),
        };
        int side = options.Canvas;
        var pixels = new byte[side * side * 3];
        const int plane = FashionMnist.Side * FashionMnist.Side;
        for (int r = 0; r < FashionMnist.Side; r++)
            for (int c = 0; c < FashionMnist.Side; c++)
                pixels.AsSpan(3 * ((y + r) * side + x + c), 3).Fill(data.Images[item * plane + r * FashionMnist.Side + c]);
        return new RgbImage(side, side, pixels);
    }
}
