using Xbm.Data.Manifest;
using Xbm.Runtime;

namespace Xbm.Data.Images;

/// <summary>
/// Turns a decoded image into a normalised float32 C×H×W array: optional bounding-box crop, then the training
/// augmentation (resize, random resized crop, horizontal flip) or the test preprocessing (resize, centre crop),
/// following torchvision's geometry (integer crop boxes, PIL bilinear resampling, banker's rounding of the
/// centre offset). All randomness comes from the <see cref="SeededRandom"/> passed in.
/// </summary>
public sealed class ImageTransform
{
    private readonly float[][] _lut; // per output channel: value of each byte after scaling and normalisation
    private readonly int[] _sourceChannel;

    /// <summary>Creates the transform (ImageNet defaults when <paramref name="options"/> is null).</summary>
    public ImageTransform(ImageTransformOptions? options = null)
    {
        Options = options ?? ImageTransformOptions.ImageNet;
        Options.Validate();
        _sourceChannel = Options.ChannelOrder == ChannelOrder.Rgb ? [0, 1, 2] : [2, 1, 0];
        _lut = new float[3][];
        for (int c = 0; c < 3; c++)
        {
            _lut[c] = new float[256];
            for (int v = 0; v < 256; v++)
                _lut[c][v] = (float)((v / 255.0 * Options.PixelRange - Options.Mean[c]) / Options.Std[c]);
        }
    }

    /// <summary>The options.</summary>
    public ImageTransformOptions Options { get; }

    /// <summary>Side of the square output.</summary>
    public int Size => Options.CropSize;

    /// <summary>Channels of every output image: colour, in <see cref="ImageTransformOptions.ChannelOrder"/> (grey images are expanded).</summary>
    public const int OutputChannels = 3;

    /// <summary>Floats per image (3 × size × size).</summary>
    public int OutputLength => OutputChannels * Size * Size;

    /// <summary>Transforms <paramref name="image"/> into a new array of <see cref="OutputLength"/> floats.</summary>
    public float[] Apply(RgbImage image, BoundingBox? box, bool augment, SeededRandom? random)
    {
        var result = new float[OutputLength];
        Apply(image, box, augment, random, result);
        return result;
    }

    /// <summary>
    /// Transforms <paramref name="image"/> into <paramref name="destination"/> (C×H×W). With
    /// <paramref name="augment"/> a <paramref name="random"/> generator is required: the crop draws first, the flip next.
    /// </summary>
    public void Apply(RgbImage image, BoundingBox? box, bool augment, SeededRandom? random, Span<float> destination)
    {
        if (destination.Length != OutputLength)
            throw new ArgumentException($"destination holds {destination.Length} floats, the transform writes {OutputLength}", nameof(destination));
        if (Options.UseBoundingBox && box is { } b)
            image = CropToBox(image, b);
        int size = Size;
        if (!augment)
        {
            if (Options.ResizeTo > 0)
                image = Resampler.ResizeShorterSide(image, Options.ResizeTo);
            var (top, left) = CenterCropOffset(image.Width, image.Height, size);
            Write(image, left, top, flip: false, destination);
            return;
        }
        if (random is null)
            throw new ArgumentNullException(nameof(random), "augmentation needs a random generator");
        if (Options.RandomResizedCrop)
        {
            if (Options.ResizeBeforeRandomCrop && Options.ResizeTo > 0)
                image = Resampler.ResizeShorterSide(image, Options.ResizeTo);
            var (top, left, height, width) = RandomResizedCropBox(image.Width, image.Height, Options.ScaleMin, Options.ScaleMax, Options.RatioMin, Options.RatioMax, random);
            image = Resampler.Resize(image.Crop(left, top, width, height), size, size);
            bool flip = random.NextDouble() < Options.FlipProbability;
            Write(image, 0, 0, flip, destination);
        }
        else
        {
            if (Options.ResizeTo > 0)
                image = Resampler.ResizeShorterSide(image, Options.ResizeTo);
            var (top, left) = CenterCropOffset(image.Width, image.Height, size);
            bool flip = random.NextDouble() < Options.FlipProbability;
            Write(image, left, top, flip, destination);
        }
    }

    /// <summary>
    /// The crop box of torchvision's RandomResizedCrop: up to ten tries of an area share in [scaleMin, scaleMax] and
    /// a log-uniform aspect ratio in [ratioMin, ratioMax], rounded to whole pixels; when none fits, a centre
    /// crop with the ratio clamped to the range.
    /// </summary>
    public static (int Top, int Left, int Height, int Width) RandomResizedCropBox(int width, int height, double scaleMin, double scaleMax, double ratioMin, double ratioMax, SeededRandom random)
    {
        double area = (double)width * height;
        double logMin = Math.Log(ratioMin), logMax = Math.Log(ratioMax);
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double target = area * (scaleMin + (scaleMax - scaleMin) * random.NextDouble());
            double aspect = Math.Exp(logMin + (logMax - logMin) * random.NextDouble());
            int w = (int)Math.Round(Math.Sqrt(target * aspect), MidpointRounding.ToEven);
            int h = (int)Math.Round(Math.Sqrt(target / aspect), MidpointRounding.ToEven);
            if (w > 0 && w <= width && h > 0 && h <= height)
            {
                int top = random.Next(height - h + 1);
                int left = random.Next(width - w + 1);
                return (top, left, h, w);
            }
        }
        double inRatio = (double)width / height;
        int cw, ch;
        if (inRatio < ratioMin)
        {
            cw = width;
            ch = (int)Math.Round(cw / ratioMin, MidpointRounding.ToEven);
        }
        else if (inRatio > ratioMax)
        {
            ch = height;
            cw = (int)Math.Round(ch * ratioMax, MidpointRounding.ToEven);
        }
        else
        {
            cw = width;
            ch = height;
        }
        return ((height - ch) / 2, (width - cw) / 2, ch, cw);
    }

    /// <summary>
    /// Top-left corner of torchvision's centre crop of <paramref name="size"/>: round((side − size) / 2) with
    /// Python's rounding (half to even); negative when the image is smaller (that side is padded with zeros).
    /// </summary>
    public static (int Top, int Left) CenterCropOffset(int width, int height, int size)
    {
        static int Offset(int side, int size) => side >= size
            ? (int)Math.Round((side - size) / 2.0, MidpointRounding.ToEven)
            : -((size - side) / 2);
        return (Offset(height, size), Offset(width, size));
    }

    /// <summary>Crops to a bounding box, rounding its corners to whole pixels (as PIL's crop) and clamping to the image; the whole image when nothing is left.</summary>
    public static RgbImage CropToBox(RgbImage image, BoundingBox box)
    {
        int left = Math.Clamp((int)Math.Round(box.Left, MidpointRounding.ToEven), 0, image.Width);
        int top = Math.Clamp((int)Math.Round(box.Top, MidpointRounding.ToEven), 0, image.Height);
        int right = Math.Clamp((int)Math.Round(box.Right, MidpointRounding.ToEven), 0, image.Width);
        int bottom = Math.Clamp((int)Math.Round(box.Bottom, MidpointRounding.ToEven), 0, image.Height);
        return right > left && bottom > top ? image.Crop(left, top, right - left, bottom - top) : image;
    }

    private void Write(RgbImage image, int left, int top, bool flip, Span<float> destination)
    {
        int size = Size, width = image.Width, height = image.Height;
        var px = image.Pixels;
        for (int c = 0; c < 3; c++)
        {
            var lut = _lut[c];
            int sc = _sourceChannel[c];
            float padded = lut[0];
            var plane = destination.Slice(c * size * size, size * size);
            for (int oy = 0; oy < size; oy++)
            {
                int y = top + oy;
                var row = plane.Slice(oy * size, size);
                if (y < 0 || y >= height)
                {
                    row.Fill(padded);
                    continue;
                }
                int rowStart = y * width * 3 + sc;
                for (int ox = 0; ox < size; ox++)
                {
                    int x = left + (flip ? size - 1 - ox : ox);
                    row[ox] = x < 0 || x >= width ? padded : lut[px[rowStart + x * 3]];
                }
            }
        }
    }
}
