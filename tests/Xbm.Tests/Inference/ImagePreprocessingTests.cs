using Xbm.Data;
using Xbm.Data.Images;
using Xbm.Inference;
using Xbm.Reporting;
using Xbm.Tests.Data.Images;
using static TorchSharp.torch;

namespace Xbm.Tests.Inference;

public sealed class ImagePreprocessingTests : IDisposable
{
    private readonly string folder = TestPaths.NewTemporaryFolder("xbm-preprocessing");

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void TheMetadataRoundTripsAndGivesTheDatasetsOwnPixels()
    {
        // A file dataset's test transform (BN-Inception's BGR on 0–255) and an in-memory grey set.
        var transform = new ImageTransform(ImageTransformOptions.BnInception with { ResizeTo = 40, CropSize = 32 });
        var files = new ImagePreprocessing
        {
            Kind = PreprocessingKind.ResizeCrop, ChannelOrder = "BGR", ResizeTo = 40, Width = 32, Height = 32, PixelRange = 255, Mean = [104, 117, 128], Std = [1, 1, 1],
        };
        string image = PngFolders.WriteOne(Path.Combine(folder, "a.png"), 2, 3, side: 50);
        var back = ImagePreprocessing.FromMetadata(files.ToMetadata().ToDictionary(), "model.onnx");
        Assert.Equal(files.ToMetadata(), back.ToMetadata());
        Assert.Equal(transform.Apply(ImageDecoder.Decode(image), null, augment: false, random: null), back.Load(image));

        using var pixels = zeros(new long[] { 1, 1, 50, 50 }, ScalarType.Byte);
        using var grey = new TensorImageSet(pixels, [0L], PixelNormalization.FashionMnist);
        var fixedSize = ImagePreprocessing.From(grey);
        var restored = ImagePreprocessing.FromMetadata(fixedSize.ToMetadata().ToDictionary(), "model.onnx");
        using var expected = QueryImages.Load(image, grey);
        Assert.Equal(expected.data<float>().ToArray(), restored.Load(image));
    }

    [Fact]
    public void BadMetadataIsNamed()
    {
        var good = ImagePreprocessing.From(new FileImageSet([], new FileImageSetOptions())).ToMetadata().ToDictionary();
        string Error(string key, string? value)
        {
            var metadata = new Dictionary<string, string>(good);
            if (value is null)
                metadata.Remove(key);
            else
                metadata[key] = value;
            return Assert.Throws<InvalidDataException>(() => ImagePreprocessing.FromMetadata(metadata, "m.onnx")).Message;
        }

        Assert.Contains("m.onnx: the metadata has no 'xbm.input.mean'", Error("xbm.input.mean", null));
        Assert.Contains("'xbm.input.std' = '1,0,1'", Error("xbm.input.std", "1,0,1"));
        Assert.Contains("'xbm.input.kind'", Error("xbm.input.kind", "zoom"));
        Assert.Contains("'xbm.input.channel_order'", Error("xbm.input.channel_order", "GREY"));
        Assert.Contains("'xbm.input.width'", Error("xbm.input.width", "-3"));
        Assert.Contains("'xbm.input.mean'", Error("xbm.input.mean", "0.5,x,0.5"));
    }
}
