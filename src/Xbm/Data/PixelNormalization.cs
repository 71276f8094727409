namespace Xbm.Data;

/// <summary>
/// Per-channel normalisation of 8-bit pixels: value = (pixel / 255 − Mean[c]) / Std[c], as torchvision's
/// ToTensor followed by Normalize.
/// </summary>
/// <param name="Mean">Mean per channel, on the [0, 1] scale.</param>
/// <param name="Std">Standard deviation per channel, on the [0, 1] scale (positive).</param>
public sealed record PixelNormalization(IReadOnlyList<float> Mean, IReadOnlyList<float> Std)
{
    /// <summary>
    /// Fashion-MNIST: mean 0.2860 and (population) standard deviation 0.3530 of all pixels of the official
    /// training file (60,000 images), the usual constants; tools/fixtures/make_fashion_subset.py recomputes
    /// them (0.28604, 0.35302) and records them in the fixture's JSON. Over the zero-shot training split
    /// (classes 0–4 of both files) the values are 0.3141 and 0.3624 (see <see cref="FashionMnistZeroShotTrain"/>).
    /// </summary>
    public static PixelNormalization FashionMnist { get; } = new([0.2860f], [0.3530f]);

    /// <summary>
    /// Mean 0.3141 and standard deviation 0.3624 of the pixels of Fashion-MNIST's zero-shot training split
    /// (classes 0–4 of the training and test files, 35,000 images): constants that use no test-class statistics.
    /// </summary>
    public static PixelNormalization FashionMnistZeroShotTrain { get; } = new([0.3141f], [0.3624f]);

    /// <summary>No normalisation beyond the [0, 1] scaling (mean 0, std 1 per channel).</summary>
    public static PixelNormalization Identity(int channels) =>
        new(Enumerable.Repeat(0f, channels).ToArray(), Enumerable.Repeat(1f, channels).ToArray());

    /// <summary>
    /// The 256-entry lookup table (pixel value → normalised float) of each channel, validated against
    /// <paramref name="channels"/>.
    /// </summary>
    public float[][] LookupTables(int channels)
    {
        if (Mean.Count != channels || Std.Count != channels)
            throw new ArgumentException($"the normalisation has {Mean.Count} means and {Std.Count} standard deviations, the images have {channels} channels");
        var tables = new float[channels][];
        for (int c = 0; c < channels; c++)
        {
            float std = Std[c];
            if (!(std > 0) || !float.IsFinite(std) || !float.IsFinite(Mean[c]))
                throw new ArgumentException($"channel {c}: the normalisation needs a finite mean and a positive standard deviation (mean {Mean[c]}, std {std})");
            var table = new float[256];
            for (int v = 0; v < 256; v++)
                table[v] = (v / 255f - Mean[c]) / std;
            tables[c] = table;
        }
        return tables;
    }
}
