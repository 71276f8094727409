using System.Runtime.Intrinsics;

namespace Xbm.Data.Images;

/// <summary>
/// Resizes 8-bit RGB images with the antialiased bilinear filter of PIL's <c>Image.resize(..., BILINEAR)</c>
/// (what torchvision's Resize and RandomResizedCrop use on PIL images): the triangle filter widened by the
/// scale when shrinking, separable, horizontal pass first, 22-bit fixed-point weights and rounding after each
/// pass. Same arithmetic, so results match PIL exactly.
/// </summary>
public static class Resampler
{
    private const int PrecisionBits = 32 - 8 - 2;

    /// <summary>Resizes <paramref name="image"/> to <paramref name="width"/>×<paramref name="height"/>.</summary>
    public static RgbImage Resize(RgbImage image, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (width == image.Width && height == image.Height)
            return image;
        var source = image;
        if (width != image.Width)
            source = Horizontal(source, width);
        if (height != image.Height)
            source = Vertical(source, height);
        return source;
    }

    /// <summary>Resizes so that the shorter side is <paramref name="size"/>, the longer side scaled and truncated as torchvision does.</summary>
    public static RgbImage ResizeShorterSide(RgbImage image, int size)
    {
        var (w, h) = ShorterSideSize(image.Width, image.Height, size);
        return Resize(image, w, h);
    }

    /// <summary>The size torchvision's <c>Resize(size)</c> gives: shorter side <paramref name="size"/>, longer side int(size × long / short).</summary>
    public static (int Width, int Height) ShorterSideSize(int width, int height, int size)
    {
        bool wide = width > height;
        int shortSide = wide ? height : width, longSide = wide ? width : height;
        int newLong = (int)((double)size * longSide / shortSide);
        return wide ? (newLong, size) : (size, newLong);
    }

    private static (int[] Bounds, int[] Weights, int KernelSize) Coefficients(int inSize, int outSize)
    {
        double scale = (double)inSize / outSize;
        double filterScale = Math.Max(scale, 1.0);
        double support = 1.0 * filterScale; // bilinear support 1
        int kernelSize = (int)Math.Ceiling(support) * 2 + 1;
        var bounds = new int[outSize * 2];
        var weights = new int[outSize * kernelSize];
        var k = new double[kernelSize];
        for (int xx = 0; xx < outSize; xx++)
        {
            double center = (xx + 0.5) * scale;
            double ww = 0.0;
            double ss = 1.0 / filterScale;
            int xmin = (int)(center - support + 0.5);
            if (xmin < 0)
                xmin = 0;
            int xmax = (int)(center + support + 0.5);
            if (xmax > inSize)
                xmax = inSize;
            xmax -= xmin;
            for (int x = 0; x < xmax; x++)
            {
                double w = Triangle((x + xmin - center + 0.5) * ss);
                k[x] = w;
                ww += w;
            }
            for (int x = 0; x < kernelSize; x++)
            {
                double w = x < xmax && ww != 0.0 ? k[x] / ww : 0.0;
                weights[xx * kernelSize + x] = w < 0 ? (int)(-0.5 + w * (1 << PrecisionBits)) : (int)(0.5 + w * (1 << PrecisionBits));
            }
            bounds[xx * 2] = xmin;
            bounds[xx * 2 + 1] = xmax;
        }
        return (bounds, weights, kernelSize);
    }

    private static double Triangle(double x)
    {
        if (x < 0.0)
            x = -x;
        return x < 1.0 ? 1.0 - x : 0.0;
    }

    private static byte Clip(int value)
    {
        if (value >= 1 << PrecisionBits << 8)
            return 255;
        if (value <= 0)
            return 0;
        return (byte)(value >> PrecisionBits);
    }

    private static unsafe RgbImage Horizontal(RgbImage image, int width)
    {
        var (bounds, weights, ks) = Coefficients(image.Width, width);
        int height = image.Height, inStride = image.Width * 3, outStride = width * 3;
        var output = new byte[width * height * 3];
        fixed (byte* input = image.Pixels, result = output)
        fixed (int* kk = weights, bb = bounds)
        {
            for (int y = 0; y < height; y++)
            {
                byte* row = input + (long)y * inStride;
                byte* outRow = result + (long)y * outStride;
                for (int xx = 0; xx < width; xx++)
                {
                    int count = bb[xx * 2 + 1];
                    int* k = kk + xx * ks;
                    byte* p = row + bb[xx * 2] * 3;
                    int s0 = 1 << (PrecisionBits - 1), s1 = s0, s2 = s0;
                    for (int x = 0; x < count; x++, p += 3)
                    {
                        int w = k[x];
                        s0 += p[0] * w;
                        s1 += p[1] * w;
                        s2 += p[2] * w;
                    }
                    byte* o = outRow + xx * 3;
                    o[0] = Clip(s0);
                    o[1] = Clip(s1);
                    o[2] = Clip(s2);
                }
            }
        }
        return new RgbImage(width, height, output);
    }

    private static unsafe RgbImage Vertical(RgbImage image, int height)
    {
        var (bounds, weights, ks) = Coefficients(image.Height, height);
        int width = image.Width, stride = width * 3;
        var output = new byte[width * height * 3];
        var sums = new int[stride];
        fixed (byte* input = image.Pixels, result = output)
        fixed (int* acc = sums)
        {
            for (int yy = 0; yy < height; yy++)
            {
                int ymin = bounds[yy * 2], count = bounds[yy * 2 + 1], kOffset = yy * ks;
                new Span<int>(acc, stride).Fill(1 << (PrecisionBits - 1));
                for (int y = 0; y < count; y++)
                {
                    int w = weights[kOffset + y];
                    byte* p = input + (long)(ymin + y) * stride;
                    int i = 0;
                    if (Vector256.IsHardwareAccelerated)
                    {
                        // 32 bytes at a time, widened to four vectors of eight 32-bit sums (exact: same integer arithmetic).
                        var wv = Vector256.Create(w);
                        for (; i <= stride - 32; i += 32)
                        {
                            var (u0, u1) = Vector256.Widen(Vector256.Load(p + i));
                            var (a0, a1) = Vector256.Widen(u0);
                            var (a2, a3) = Vector256.Widen(u1);
                            Vector256.Store(Vector256.Load(acc + i) + a0.AsInt32() * wv, acc + i);
                            Vector256.Store(Vector256.Load(acc + i + 8) + a1.AsInt32() * wv, acc + i + 8);
                            Vector256.Store(Vector256.Load(acc + i + 16) + a2.AsInt32() * wv, acc + i + 16);
                            Vector256.Store(Vector256.Load(acc + i + 24) + a3.AsInt32() * wv, acc + i + 24);
                        }
                    }
                    for (; i < stride; i++)
                        acc[i] += p[i] * w;
                }
                byte* o = result + (long)yy * stride;
                for (int i = 0; i < stride; i++)
                    o[i] = Clip(acc[i]);
            }
        }
        return new RgbImage(width, height, output);
    }
}
