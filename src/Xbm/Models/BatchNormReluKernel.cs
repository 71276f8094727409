using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Xbm.Models;

/// <summary>
/// Batch normalisation in training mode followed by ReLU, on the host, over float32 values stored channels-last: P
/// rows (one per image position) of C channels each. The forward pass takes each channel's mean and biased variance
/// over the rows (one pass), then writes y = max(0, (x − m)·a + b) with m the mean rounded to float, a = γ/√(σ² + ε)
/// and b = β − (μ − m)·a (so that an input far from zero loses no digits to cancellation). The backward
/// pass gives the sums the input's, the scale's and the shift's gradients need, then the input's gradient, in two
/// passes; ReLU's mask is computed again from the input as the forward pass computed it, so the output is neither kept
/// nor read.
/// </summary>
/// <remarks>
/// The sums run over a group of up to 32 channels (two cache lines of a row) at a time, with the group's
/// accumulators in registers, so no cache line is read twice from memory in a pass. Each block of rows (64 for the
/// gradient's sums, 256 for the statistics) is summed in float, and the blocks' sums are joined in double.
/// </remarks>
internal static unsafe class BatchNormReluKernel
{
    // Rows summed in float before the block's sums join the double totals.
    private const int Block = 64;

    // Rows of a block of the statistics: 32 KB of a group of 32 channels, in the first-level cache for its second pass.
    private const int StatisticsBlock = 256;

    // Channels in a group of the sums: four vectors.
    private const int Group = 32;

    private const int Lanes = 8;

    /// <summary>
    /// Writes each channel's mean, biased variance and 1/√(σ² + ε) over the <paramref name="rows"/> rows of
    /// <paramref name="x"/>, in one pass over memory: each block of rows (in cache) gives its own mean (summed about its
    /// first row, so that an input far from zero loses no digits) and sum of squared deviations, in float, and the
    /// blocks are combined in double as Chan et al.'s parallel variance does.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Statistics(float* x, long rows, int channels, double eps, double* mean, double* variance, float* inverseStd)
    {
        var sums = stackalloc float[Group];
        var centre = stackalloc float[Group];
        var blockMean = stackalloc double[Group];
        int vectors = channels / Lanes * Lanes;
        for (int c = 0; c < channels; c++)
            mean[c] = variance[c] = 0;
        for (long start = 0; start < rows; start += StatisticsBlock)
        {
            int count = (int)Math.Min(StatisticsBlock, rows - start);
            float* block = x + start * channels;
            double share = (double)count / (start + count);
            for (int c0 = 0; c0 < vectors; c0 += Group)
            {
                int width = Math.Min(Group, vectors - c0) / Lanes;
                BlockSums(block + c0, count, channels, width, block + c0, square: false, sums);
                for (int j = 0; j < width * Lanes; j++)
                {
                    blockMean[j] = block[c0 + j] + (double)sums[j] / count;
                    centre[j] = (float)blockMean[j];
                }
                BlockSums(block + c0, count, channels, width, centre, square: true, sums);
                for (int j = 0; j < width * Lanes; j++)
                    Combine(ref mean[c0 + j], ref variance[c0 + j], start, blockMean[j], sums[j], centre[j], count, share);
            }
            for (int c = vectors; c < channels; c++)
            {
                float first = block[c], sum = 0, squares = 0;
                for (int r = 0; r < count; r++)
                    sum += block[(long)r * channels + c] - first;
                double tailMean = first + (double)sum / count;
                float rounded = (float)tailMean;
                for (int r = 0; r < count; r++)
                {
                    float d = block[(long)r * channels + c] - rounded;
                    squares += d * d;
                }
                Combine(ref mean[c], ref variance[c], start, tailMean, squares, rounded, count, share);
            }
        }
        for (int c = 0; c < channels; c++)
        {
            variance[c] /= rows;
            inverseStd[c] = (float)(1.0 / Math.Sqrt(variance[c] + eps));
        }
    }

    // Joins a block of count rows (its mean, and its sum of squared deviations from centre, the mean rounded) to the n
    // rows before it; share is the block's fraction of the rows so far, the block included.
    private static void Combine(ref double mean, ref double squares, long n, double blockMean, double blockSquares, double centre, int count, double share)
    {
        double offCentre = blockMean - centre;
        double delta = blockMean - mean;
        mean += delta * share;
        squares += blockSquares - count * offCentre * offCentre + delta * delta * n * share;
    }

    // Over count rows of a group of width vectors: Σ (x − centre), or Σ (x − centre)² when square, into result.
    private static void BlockSums(float* p, int count, int channels, int width, float* centre, bool square, float* result)
    {
        var m0 = Vector256.Load(centre);
        var m1 = width > 1 ? Vector256.Load(centre + Lanes) : default;
        var m2 = width > 2 ? Vector256.Load(centre + 2 * Lanes) : default;
        var m3 = width > 3 ? Vector256.Load(centre + 3 * Lanes) : default;
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
        for (int r = 0; r < count; r++, p += channels)
        {
            var v = Vector256.Load(p) - m0;
            s0 = square ? Vector256.FusedMultiplyAdd(v, v, s0) : s0 + v;
            if (width > 1)
            {
                v = Vector256.Load(p + Lanes) - m1;
                s1 = square ? Vector256.FusedMultiplyAdd(v, v, s1) : s1 + v;
            }
            if (width > 2)
            {
                v = Vector256.Load(p + 2 * Lanes) - m2;
                s2 = square ? Vector256.FusedMultiplyAdd(v, v, s2) : s2 + v;
            }
            if (width > 3)
            {
                v = Vector256.Load(p + 3 * Lanes) - m3;
                s3 = square ? Vector256.FusedMultiplyAdd(v, v, s3) : s3 + v;
            }
        }
        s0.Store(result);
        if (width > 1)
            s1.Store(result + Lanes);
        if (width > 2)
            s2.Store(result + 2 * Lanes);
        if (width > 3)
            s3.Store(result + 3 * Lanes);
    }

    /// <summary>y = max(0, (x − mean)·scale + shift) per channel, over <paramref name="rows"/> rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ScaleShiftRelu(float* x, float* y, long rows, int channels, float* mean, float* scale, float* shift)
    {
        int vectors = channels / Lanes * Lanes;
        for (long r = 0; r < rows; r++)
        {
            float* from = x + r * channels, to = y + r * channels;
            int c = 0;
            for (; c < vectors; c += Lanes)
                Vector256.Store(Vector256.Max(PreActivation(Vector256.Load(from + c) - Vector256.Load(mean + c), Vector256.Load(scale + c), Vector256.Load(shift + c)), Vector256<float>.Zero), to + c);
            for (; c < channels; c++)
                to[c] = Math.Max(PreActivation(from[c] - mean[c], scale[c], shift[c]), 0f);
        }
    }

    /// <summary>
    /// Per channel, Σ g and Σ g·(x − μ) over the rows where the forward pass's output was positive (ReLU passes the
    /// gradient there only; the mask is (x − mean)·scale + shift &gt; 0, computed as the forward pass computed it).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GradientSums(float* g, float* x, float* scale, float* shift, float* mean, long rows, int channels, double* sumG, double* sumGx)
    {
        int vectors = channels / Lanes * Lanes;
        for (int c0 = 0; c0 < vectors; c0 += Group)
        {
            int width = Math.Min(Group, vectors - c0) / Lanes;
            var lanes0 = new ChannelLanes(scale, shift, mean, c0);
            var lanes1 = width > 1 ? new ChannelLanes(scale, shift, mean, c0 + Lanes) : default;
            var lanes2 = width > 2 ? new ChannelLanes(scale, shift, mean, c0 + 2 * Lanes) : default;
            var lanes3 = width > 3 ? new ChannelLanes(scale, shift, mean, c0 + 3 * Lanes) : default;
            var totalsG = new DoubleTotals();
            var totalsGx = new DoubleTotals();
            for (long start = 0; start < rows; start += Block)
            {
                long end = Math.Min(rows, start + Block);
                Vector256<float> g0 = default, g1 = default, g2 = default, g3 = default;
                Vector256<float> gx0 = default, gx1 = default, gx2 = default, gx3 = default;
                long offset = start * channels + c0;
                for (long r = start; r < end; r++, offset += channels)
                {
                    lanes0.Accumulate(g + offset, x + offset, ref g0, ref gx0);
                    if (width > 1)
                        lanes1.Accumulate(g + offset + Lanes, x + offset + Lanes, ref g1, ref gx1);
                    if (width > 2)
                        lanes2.Accumulate(g + offset + 2 * Lanes, x + offset + 2 * Lanes, ref g2, ref gx2);
                    if (width > 3)
                        lanes3.Accumulate(g + offset + 3 * Lanes, x + offset + 3 * Lanes, ref g3, ref gx3);
                }
                totalsG.Add(g0, g1, g2, g3);
                totalsGx.Add(gx0, gx1, gx2, gx3);
            }
            totalsG.Store(sumG + c0, width);
            totalsGx.Store(sumGx + c0, width);
        }
        for (int c = vectors; c < channels; c++)
        {
            sumG[c] = sumGx[c] = 0;
            for (long start = 0; start < rows; start += Block)
            {
                long end = Math.Min(rows, start + Block);
                float blockG = 0, blockGx = 0;
                for (long r = start; r < end; r++)
                {
                    long offset = r * channels + c;
                    float d = x[offset] - mean[c];
                    float z = PreActivation(d, scale[c], shift[c]) > 0f ? g[offset] : 0f;
                    blockG += z;
                    blockGx = MathF.FusedMultiplyAdd(z, d, blockGx);
                }
                sumG[c] += blockG;
                sumGx[c] += blockGx;
            }
        }
    }

    /// <summary>
    /// dx = a·g' − (x − μ)·e − f per channel, g' the upstream gradient where the forward pass's output was positive
    /// and 0 elsewhere.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void InputGradient(float* g, float* x, float* scale, float* shift, float* mean, float* dx, long rows, int channels, float* a, float* e, float* f)
    {
        int vectors = channels / Lanes * Lanes;
        for (long r = 0; r < rows; r++)
        {
            long offset = r * channels;
            int c = 0;
            for (; c < vectors; c += Lanes)
            {
                var d = Vector256.Load(x + offset + c) - Vector256.Load(mean + c);
                var passed = Vector256.GreaterThan(PreActivation(d, Vector256.Load(scale + c), Vector256.Load(shift + c)), Vector256<float>.Zero);
                var gz = Vector256.BitwiseAnd(Vector256.Load(g + offset + c), passed);
                Vector256.Store(gz * Vector256.Load(a + c) - Vector256.FusedMultiplyAdd(d, Vector256.Load(e + c), Vector256.Load(f + c)), dx + offset + c);
            }
            for (; c < channels; c++)
            {
                float d = x[offset + c] - mean[c];
                float gz = PreActivation(d, scale[c], shift[c]) > 0f ? g[offset + c] : 0f;
                dx[offset + c] = gz * a[c] - MathF.FusedMultiplyAdd(d, e[c], f[c]);
            }
        }
    }

    // The value ReLU receives, from the centred input: the backward pass's masks compute it exactly as the forward pass.
    private static Vector256<float> PreActivation(Vector256<float> centred, Vector256<float> scale, Vector256<float> shift) =>
        Vector256.FusedMultiplyAdd(centred, scale, shift);

    private static float PreActivation(float centred, float scale, float shift) => MathF.FusedMultiplyAdd(centred, scale, shift);

    // Eight channels' scale, shift and mean, for the gradient sums.
    private readonly struct ChannelLanes(float* scale, float* shift, float* mean, int c)
    {
        private readonly Vector256<float> _scale = Vector256.Load(scale + c);
        private readonly Vector256<float> _shift = Vector256.Load(shift + c);
        private readonly Vector256<float> _mean = Vector256.Load(mean + c);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Accumulate(float* g, float* x, ref Vector256<float> sumG, ref Vector256<float> sumGx)
        {
            var d = Vector256.Load(x) - _mean;
            var passed = Vector256.GreaterThan(PreActivation(d, _scale, _shift), Vector256<float>.Zero);
            var gz = Vector256.BitwiseAnd(Vector256.Load(g), passed);
            sumG += gz;
            sumGx = Vector256.FusedMultiplyAdd(gz, d, sumGx);
        }
    }

    // Double totals of a group's four float block sums.
    private struct DoubleTotals
    {
        private Vector256<double> _l0, _h0, _l1, _h1, _l2, _h2, _l3, _h3;

        public void Add(Vector256<float> s0, Vector256<float> s1, Vector256<float> s2, Vector256<float> s3)
        {
            _l0 += Vector256.WidenLower(s0);
            _h0 += Vector256.WidenUpper(s0);
            _l1 += Vector256.WidenLower(s1);
            _h1 += Vector256.WidenUpper(s1);
            _l2 += Vector256.WidenLower(s2);
            _h2 += Vector256.WidenUpper(s2);
            _l3 += Vector256.WidenLower(s3);
            _h3 += Vector256.WidenUpper(s3);
        }

        public readonly void Store(double* total, int width)
        {
            _l0.Store(total);
            _h0.Store(total + 4);
            if (width > 1)
            {
                _l1.Store(total + 8);
                _h1.Store(total + 12);
            }
            if (width > 2)
            {
                _l2.Store(total + 16);
                _h2.Store(total + 20);
            }
            if (width > 3)
            {
                _l3.Store(total + 24);
                _h3.Store(total + 28);
            }
        }
    }
}
