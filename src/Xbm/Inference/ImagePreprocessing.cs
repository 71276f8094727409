using System.Globalization;
using Xbm.Data;
using Xbm.Data.Images;
using Xbm.Reporting;

namespace Xbm.Inference;

/// <summary>
/// The test-time preprocessing of a run's images (docs/design.md §6), self-contained so that it can travel in an ONNX
/// model's metadata: the input size, channels and channel order, pixel range, mean and std. <see cref="Load(string)"/> turns
/// an image file into exactly the pixels the run's own test-time preprocessing gives (it uses the same decoder and
/// transform code), without libtorch.
/// </summary>
public sealed record ImagePreprocessing
{
    /// <summary>The metadata key prefix of the preprocessing in an exported ONNX model.</summary>
    public const string MetadataPrefix = "xbm.input.";

    /// <summary>Resize and crop, or fixed-size input.</summary>
    public PreprocessingKind Kind { get; init; }

    /// <summary>Channels of the model input: 3 (colour) or 1 (grey).</summary>
    public int Channels { get; init; } = 3;

    /// <summary>"RGB", "BGR" or "GREY".</summary>
    public string ChannelOrder { get; init; } = "RGB";

    /// <summary>Shorter side after resizing (0: none; <see cref="PreprocessingKind.ResizeCrop"/> only).</summary>
    public int ResizeTo { get; init; }

    /// <summary>Width of the model input (the crop side for <see cref="PreprocessingKind.ResizeCrop"/>).</summary>
    public int Width { get; init; }

    /// <summary>Height of the model input.</summary>
    public int Height { get; init; }

    /// <summary>Pixel scale before normalisation: 1 for [0, 1], 255 for [0, 255].</summary>
    public double PixelRange { get; init; } = 1;

    /// <summary>Mean per input channel, on the <see cref="PixelRange"/> scale.</summary>
    public IReadOnlyList<double> Mean { get; init; } = [];

    /// <summary>Standard deviation per input channel, on the <see cref="PixelRange"/> scale.</summary>
    public IReadOnlyList<double> Std { get; init; } = [];

    /// <summary>Floats per preprocessed image (C × H × W).</summary>
    public int InputLength => Channels * Height * Width;

    /// <summary>Whether <see cref="From"/> can describe the images of <paramref name="like"/> (image files, or in-memory images of 1 or 3 channels).</summary>
    public static bool Supports(IImageSet like) => like is FileImageSet || like is TensorImageSet { Channels: 1 or 3 };

    /// <summary>The test-time preprocessing of the images of <paramref name="like"/> (a file set or an in-memory set).</summary>
    public static ImagePreprocessing From(IImageSet like)
    {
        ArgumentNullException.ThrowIfNull(like);
        switch (like)
        {
            case FileImageSet files:
            {
                var o = files.Transform.Options;
                return new ImagePreprocessing
                {
                    Kind = PreprocessingKind.ResizeCrop,
                    Channels = ImageTransform.OutputChannels,
                    ChannelOrder = o.ChannelOrder == Data.Images.ChannelOrder.Rgb ? "RGB" : "BGR",
                    ResizeTo = o.ResizeTo,
                    Width = o.CropSize,
                    Height = o.CropSize,
                    PixelRange = o.PixelRange,
                    Mean = o.Mean.ToArray(),
                    Std = o.Std.ToArray(),
                };
            }
            case TensorImageSet tensors when tensors.Channels is 1 or 3:
                return new ImagePreprocessing
                {
                    Kind = PreprocessingKind.FixedSize,
                    Channels = tensors.Channels,
                    ChannelOrder = tensors.Channels == 1 ? "GREY" : "RGB",
                    Width = tensors.Width,
                    Height = tensors.Height,
                    Mean = tensors.Normalization.Mean.Select(m => (double)m).ToArray(),
                    Std = tensors.Normalization.Std.Select(s => (double)s).ToArray(),
                };
            default:
                throw new NotSupportedException($"image files cannot be preprocessed like a {like.GetType().Name} dataset (file datasets and Fashion-MNIST can)");
        }
    }

    /// <summary>
    /// Loads one image file as C×H×W floats (<see cref="InputLength"/>). Errors name the file: not an image, or
    /// (fixed-size input) the wrong size.
    /// </summary>
    public float[] Load(string path) => Apply(ImageDecoder.Decode(path), path);

    /// <summary>
    /// Preprocesses encoded image bytes (an upload) like <see cref="Load(string)"/>; errors are
    /// <see cref="InvalidDataException"/>s naming <paramref name="source"/>.
    /// </summary>
    public float[] Load(byte[] encoded, string source)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        return Apply(ImageDecoder.Decode(encoded, source), source);
    }

    private float[] Apply(RgbImage image, string path)
    {
        if (Kind == PreprocessingKind.ResizeCrop)
            return Transform().Apply(image, null, augment: false, random: null);
        if (image.Width != Width || image.Height != Height)
            throw new InvalidDataException($"{path}: the image is {image.Width}×{image.Height}; this model's images are {Width}×{Height} (resize it first)");
        var tables = new PixelNormalization(Mean.Select(m => (float)m).ToArray(), Std.Select(s => (float)s).ToArray()).LookupTables(Channels);
        int plane = Width * Height;
        var values = new float[Channels * plane];
        var px = image.Pixels;
        for (int i = 0; i < plane; i++)
        {
            if (Channels == 1)
                values[i] = tables[0][QueryImages.Luma(px[3 * i], px[3 * i + 1], px[3 * i + 2])];
            else
                for (int c = 0; c < 3; c++)
                    values[c * plane + i] = tables[c][px[3 * i + c]];
        }
        return values;
    }

    /// <summary>The metadata entries ("xbm.input.*") that describe this preprocessing.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ToMetadata() =>
    [
        new(MetadataPrefix + "kind", Kind == PreprocessingKind.ResizeCrop ? "resize_crop" : "fixed_size"),
        new(MetadataPrefix + "channels", Channels.ToString(CultureInfo.InvariantCulture)),
        new(MetadataPrefix + "channel_order", ChannelOrder),
        new(MetadataPrefix + "resize", ResizeTo.ToString(CultureInfo.InvariantCulture)),
        new(MetadataPrefix + "width", Width.ToString(CultureInfo.InvariantCulture)),
        new(MetadataPrefix + "height", Height.ToString(CultureInfo.InvariantCulture)),
        new(MetadataPrefix + "pixel_range", PixelRange.ToString("R", CultureInfo.InvariantCulture)),
        new(MetadataPrefix + "mean", string.Join(",", Mean.Select(m => m.ToString("R", CultureInfo.InvariantCulture)))),
        new(MetadataPrefix + "std", string.Join(",", Std.Select(s => s.ToString("R", CultureInfo.InvariantCulture)))),
    ];

    /// <summary>Reads the preprocessing from a model's metadata; a missing or bad entry is an error naming <paramref name="source"/> and the key.</summary>
    public static ImagePreprocessing FromMetadata(IReadOnlyDictionary<string, string> metadata, string source)
    {
        string Get(string key) => metadata.TryGetValue(MetadataPrefix + key, out var value) ? value
            : throw new InvalidDataException($"{source}: the metadata has no '{MetadataPrefix}{key}' (export the model with `xbm export`)");
        InvalidDataException Bad(string key, string why) => new($"{source}: metadata '{MetadataPrefix}{key}' = '{Get(key)}': {why}");
        int Int(string key, int min) => int.TryParse(Get(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= min ? v : throw Bad(key, $"expected an integer of at least {min}");
        double[] Doubles(string key)
        {
            var parts = Get(key).Split(',');
            var values = new double[parts.Length];
            for (int i = 0; i < parts.Length; i++)
                if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !double.IsFinite(values[i]))
                    throw Bad(key, "expected comma-separated numbers");
            return values;
        }

        var kind = Get("kind") switch
        {
            "resize_crop" => PreprocessingKind.ResizeCrop,
            "fixed_size" => PreprocessingKind.FixedSize,
            _ => throw Bad("kind", "expected resize_crop or fixed_size"),
        };
        int channels = Int("channels", 1);
        string order = Get("channel_order");
        bool orderFits = channels == 1 ? order == "GREY" : channels == 3 && order is "RGB" or "BGR";
        if (!orderFits)
            throw Bad("channel_order", $"does not fit {channels} channel(s) (GREY for 1, RGB or BGR for 3)");
        if (kind == PreprocessingKind.ResizeCrop && channels != 3)
            throw Bad("channels", "resize_crop preprocessing gives 3 channels");
        if (kind == PreprocessingKind.FixedSize && order == "BGR")
            throw Bad("channel_order", "fixed_size preprocessing gives GREY or RGB");
        double range = Doubles("pixel_range") is [var r] && r > 0 ? r : throw Bad("pixel_range", "expected one positive number");
        var mean = Doubles("mean");
        var std = Doubles("std");
        if (mean.Length != channels)
            throw Bad("mean", $"expected {channels} value(s)");
        if (std.Length != channels || std.Any(s => !(s > 0)))
            throw Bad("std", $"expected {channels} positive value(s)");
        var result = new ImagePreprocessing
        {
            Kind = kind,
            Channels = channels,
            ChannelOrder = order,
            ResizeTo = Int("resize", 0),
            Width = Int("width", 1),
            Height = Int("height", 1),
            PixelRange = range,
            Mean = mean,
            Std = std,
        };
        if (kind == PreprocessingKind.ResizeCrop && result.Width != result.Height)
            throw Bad("height", $"resize_crop preprocessing crops a square, but the width is {result.Width}");
        return result;
    }

    private ImageTransform Transform() => new(new ImageTransformOptions
    {
        ResizeTo = ResizeTo,
        CropSize = Width,
        ChannelOrder = ChannelOrder == "BGR" ? Data.Images.ChannelOrder.Bgr : Data.Images.ChannelOrder.Rgb,
        PixelRange = PixelRange,
        Mean = Mean.ToArray(),
        Std = Std.ToArray(),
    });
}
