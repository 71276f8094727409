using Microsoft.ML.OnnxRuntime;
using TorchSharp;
using Xbm.Data.Images;
using Xbm.Export;
using Xbm.Inference;
using Xbm.Models;
using Xbm.Tests.Data.Images;
using static TorchSharp.torch;
using BatchNorm2d = Xbm.Models.BatchNorm2d;

namespace Xbm.Tests.Export;

/// <summary>
/// Builds small random models of every backbone (BatchNorm scale, shift and running statistics randomised, so BatchNorm
/// is no identity), exports them, and runs the export on ONNX Runtime beside TorchSharp.
/// </summary>
internal static class OnnxParityFixture
{
    /// <summary>Side of the test inputs: the smallest that every ImageNet backbone's five stride-2 stages take comfortably.</summary>
    public const int Side = 64;

    /// <summary>Side of the small CNN's grey inputs.</summary>
    public const int SmallSide = 28;

    /// <summary>A random model of <paramref name="backbone"/> (small_cnn: 1 channel, width 8), embedding to 16 dimensions.</summary>
    public static EmbeddingModel Model(string backbone, int seed, bool channelsLast = false, bool frozenBatchNorm = false, GlobalPoolingKind? pooling = null)
    {
        torch.manual_seed(seed);
        var options = new BackboneOptions
        {
            ChannelsLast = false,
            FreezeBatchNormStatistics = frozenBatchNorm,
            FreezeBatchNormAffine = frozenBatchNorm,
            FrozenStages = frozenBatchNorm && backbone != "small_cnn" ? 1 : 0,
            Pooling = pooling,
        };
        bool small = backbone == "small_cnn";
        var model = new EmbeddingModel(ModelFactory.CreateBackbone(backbone, options, inputChannels: small ? 1 : 3, width: 8), 16);
        RandomiseBatchNorm(model, seed);
        if (channelsLast)
        {
            ChannelsLast.Apply(model);
            var firstConv = model.modules().OfType<TorchSharp.Modules.Conv2d>().First();
            Assert.True(firstConv.weight.stride().SequenceEqual(ChannelsLast.Strides(firstConv.weight.shape)), "the weights should be channels-last");
        }
        model.eval();
        return model;
    }

    /// <summary>The preprocessing of the tests' image files: ImageNet normalisation at <see cref="Side"/>, or 28×28 grey for the small CNN.</summary>
    public static ImagePreprocessing Preprocessing(string backbone) => backbone == "small_cnn"
        ? new ImagePreprocessing { Kind = PreprocessingKind.FixedSize, Channels = 1, ChannelOrder = "GREY", Width = SmallSide, Height = SmallSide, Mean = [0.2860000014305115], Std = [0.35299998521804810] }
        : new ImagePreprocessing { Kind = PreprocessingKind.ResizeCrop, ResizeTo = 72, Width = Side, Height = Side, Mean = [0.485, 0.456, 0.406], Std = [0.229, 0.224, 0.225] };

    /// <summary>An ONNX Runtime session on the exported bytes (default optimisations, one thread).</summary>
    public static InferenceSession Session(byte[] onnx)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        return new InferenceSession(onnx, options);
    }

    /// <summary>Random N×C×S×S inputs, as floats.</summary>
    public static float[] RandomImages(string backbone, int count, int seed)
    {
        var random = new Random(seed);
        int side = backbone == "small_cnn" ? SmallSide : Side, channels = backbone == "small_cnn" ? 1 : 3;
        var values = new float[count * channels * side * side];
        for (int i = 0; i < values.Length; i++)
            values[i] = (float)(random.NextDouble() * 4 - 2);
        return values;
    }

    /// <summary>Real image files (PNG and JPEG) preprocessed for <paramref name="backbone"/>: three images as floats.</summary>
    public static float[] RealImages(string backbone, string folder)
    {
        var preprocessing = Preprocessing(backbone);
        IReadOnlyList<string> files = backbone == "small_cnn"
            ? [PngFolders.WriteOne(Path.Combine(folder, "a.png"), 0, 1, SmallSide), PngFolders.WriteOne(Path.Combine(folder, "b.png"), 2, 3, SmallSide), PngFolders.WriteOne(Path.Combine(folder, "c.png"), 3, 5, SmallSide)]
            : [ImageFixtures.Path("colour.jpg"), ImageFixtures.Path("grey.png"), PngFolders.WriteOne(Path.Combine(folder, "c.png"), 1, 2, 90)];
        return files.SelectMany(preprocessing.Load).ToArray();
    }

    /// <summary>TorchSharp's embeddings of <paramref name="images"/> (N×C×S×S).</summary>
    public static float[] Torch(EmbeddingModel model, float[] images, int count, int channels, int side)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var input = tensor(images, new long[] { count, channels, side, side });
        return model.forward(input).contiguous().data<float>().ToArray();
    }

    /// <summary>ONNX Runtime's embeddings of <paramref name="images"/>.</summary>
    public static float[] Onnx(InferenceSession session, float[] images, int count, int channels, int side)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(images, new long[] { count, channels, side, side });
        using var run = new RunOptions();
        using var results = session.Run(run, [OnnxExporter.InputName], [input], [OnnxExporter.OutputName]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>
    /// The largest absolute difference between TorchSharp and ONNX Runtime over <paramref name="images"/> run as one
    /// batch of 3 and as three batches of 1 through the same session.
    /// </summary>
    public static double MaxError(EmbeddingModel model, InferenceSession session, string backbone, float[] images)
    {
        int side = backbone == "small_cnn" ? SmallSide : Side, channels = backbone == "small_cnn" ? 1 : 3;
        int length = channels * side * side, count = images.Length / length;
        var expected = Torch(model, images, count, channels, side);
        var batch = Onnx(session, images, count, channels, side);
        Assert.Equal(expected.Length, batch.Length);
        double error = expected.Zip(batch, (a, b) => Math.Abs(a - b)).Max();
        int d = expected.Length / count;
        for (int i = 0; i < count; i++)
        {
            var one = Onnx(session, images[(i * length)..((i + 1) * length)], 1, channels, side);
            error = Math.Max(error, one.Select((v, j) => Math.Abs(v - expected[i * d + j])).Max());
        }
        Assert.True(expected.All(float.IsFinite));
        return error;
    }

    private static void RandomiseBatchNorm(nn.Module model, int seed)
    {
        var random = new Random(seed);
        using var noGrad = no_grad();
        foreach (var bn in model.modules().OfType<BatchNorm2d>())
        {
            using var scope = NewDisposeScope();
            int n = (int)bn.Features;
            float[] Draw(double low, double high) => Enumerable.Range(0, n).Select(_ => (float)(low + (high - low) * random.NextDouble())).ToArray();
            foreach (var (target, values) in new[] { (bn.Weight, Draw(0.5, 1.5)), (bn.Bias, Draw(-0.2, 0.2)), (bn.RunningMean, Draw(-0.2, 0.2)), (bn.RunningVar, Draw(0.5, 1.5)) })
                target.copy_(tensor(values));
        }
    }
}
