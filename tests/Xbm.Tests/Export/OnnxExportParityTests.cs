using Xbm.Export;
using Xbm.Models;
using Xunit.Abstractions;

namespace Xbm.Tests.Export;

/// <summary>
/// Per backbone, ONNX Runtime runs the exported graph to within 1e-5 (absolute) of TorchSharp's embeddings: on random
/// inputs and on real image files, as one batch of 3 and as batches of 1 from the same file (dynamic batch), for a
/// model in NCHW, one trained channels-last, and one with frozen BatchNorm (eval-mode statistics while training).
/// </summary>
[Collection("global generator")] // seeds the global generator: the byte comparison of two exports needs the same weights
public sealed class OnnxExportParityTests(ITestOutputHelper output) : IDisposable
{
    private const double Tolerance = 1e-5;
    private readonly string folder = TestPaths.NewTemporaryFolder("xbm-onnx-parity");

    public void Dispose() => Directory.Delete(folder, recursive: true);

    public static TheoryData<string> Backbones => new(ModelFactory.BackboneNames);

    [Theory]
    [MemberData(nameof(Backbones))]
    public void RandomAndRealImagesMatchTorchSharp(string backbone)
    {
        using var model = OnnxParityFixture.Model(backbone, seed: 1);
        using var session = OnnxParityFixture.Session(OnnxExporter.ToBytes(model, OnnxParityFixture.Preprocessing(backbone)));

        double random = OnnxParityFixture.MaxError(model, session, backbone, OnnxParityFixture.RandomImages(backbone, 3, seed: 2));
        double real = OnnxParityFixture.MaxError(model, session, backbone, OnnxParityFixture.RealImages(backbone, folder));

        output.WriteLine($"{backbone}: max abs error random {random:E2}, real images {real:E2}");
        Assert.InRange(random, 0, Tolerance);
        Assert.InRange(real, 0, Tolerance);
    }

    [Theory]
    [MemberData(nameof(Backbones))]
    public void AChannelsLastModelExportsToTheSameNchwGraph(string backbone)
    {
        using var model = OnnxParityFixture.Model(backbone, seed: 3, channelsLast: true);
        byte[] bytes = OnnxExporter.ToBytes(model, OnnxParityFixture.Preprocessing(backbone));
        using var session = OnnxParityFixture.Session(bytes);

        double random = OnnxParityFixture.MaxError(model, session, backbone, OnnxParityFixture.RandomImages(backbone, 3, seed: 4));
        double real = OnnxParityFixture.MaxError(model, session, backbone, OnnxParityFixture.RealImages(backbone, folder));

        output.WriteLine($"{backbone} channels-last: max abs error random {random:E2}, real images {real:E2}");
        Assert.InRange(random, 0, Tolerance);
        Assert.InRange(real, 0, Tolerance);
        // The weights are written in NCHW order whatever their layout: the same file as from the NCHW twin (the small
        // backbones; the large ones take seconds to build twice).
        if (backbone is "small_cnn" or "resnet18" or "googlenet")
        {
            using var nchw = OnnxParityFixture.Model(backbone, seed: 3);
            Assert.Equal(OnnxExporter.ToBytes(nchw, OnnxParityFixture.Preprocessing(backbone)), bytes);
        }
    }

    [Theory]
    [InlineData("small_cnn")]
    [InlineData("resnet18")]
    [InlineData("resnet50")]
    [InlineData("googlenet")]
    [InlineData("bn_inception")]
    public void AFrozenBatchNormModelMatchesInTrainingModeToo(string backbone)
    {
        using var model = OnnxParityFixture.Model(backbone, seed: 5, frozenBatchNorm: true);
        using var session = OnnxParityFixture.Session(OnnxExporter.ToBytes(model, OnnxParityFixture.Preprocessing(backbone)));
        var images = OnnxParityFixture.RealImages(backbone, folder);

        double eval = OnnxParityFixture.MaxError(model, session, backbone, images);
        model.train(); // frozen BatchNorm stays in eval mode: the training-mode forward is the exported one
        Assert.DoesNotContain(model.modules().OfType<BatchNorm2d>(), bn => bn.training);
        double training = OnnxParityFixture.MaxError(model, session, backbone, images);

        output.WriteLine($"{backbone} frozen BatchNorm: max abs error eval {eval:E2}, training mode {training:E2}");
        Assert.InRange(eval, 0, Tolerance);
        Assert.InRange(training, 0, Tolerance);
    }

    [Theory]
    [InlineData("small_cnn", GlobalPoolingKind.Max)]
    [InlineData("small_cnn", GlobalPoolingKind.AverageMax)]
    [InlineData("resnet18", GlobalPoolingKind.Average)]
    [InlineData("resnet18", GlobalPoolingKind.AverageMax)]
    public void EveryGlobalPoolingMatches(string backbone, GlobalPoolingKind pooling)
    {
        using var model = OnnxParityFixture.Model(backbone, seed: 6, pooling: pooling);
        using var session = OnnxParityFixture.Session(OnnxExporter.ToBytes(model, OnnxParityFixture.Preprocessing(backbone)));

        double error = OnnxParityFixture.MaxError(model, session, backbone, OnnxParityFixture.RandomImages(backbone, 3, seed: 7));

        Assert.InRange(error, 0, Tolerance);
    }
}
