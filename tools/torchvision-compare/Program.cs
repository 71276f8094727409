// Compares TorchVision 0.107.0 (.NET) with Xbm's own ResNet-18 and image pipeline; prints the numbers that
// docs/torchvision.md quotes. Arguments: [images to time (default 64)] [forward repetitions (default 5)].
using System.Diagnostics;
using SkiaSharp;
using TorchSharp;
using Xbm.Data.Images;
using Xbm.Models;
using Xbm.Runtime;
using static TorchSharp.torch;

int imageCount = args.Length > 0 ? int.Parse(args[0]) : 64;
int repetitions = args.Length > 1 ? int.Parse(args[1]) : 5;
OneDnnGuard.Apply();
torch.set_num_threads(Environment.ProcessorCount);
torch.manual_seed(16);
Console.WriteLine($"threads {torch.get_num_threads()}, {Environment.ProcessorCount} cores");

// ---- ResNet-18: same weights, same input -------------------------------------------------------------------
using (no_grad())
{
    using var ours = new ResNet(18, new BackboneOptions { Pooling = GlobalPoolingKind.Average, ChannelsLast = false });
    using var oursCl = new ResNet(18, new BackboneOptions { Pooling = GlobalPoolingKind.Average, ChannelsLast = true });
    using var tv = torchvision.models.resnet18();
    var state = ours.state_dict();
    foreach (var (key, t) in state.Where(p => p.Key.EndsWith("running_var")))
        t.uniform_(0.5, 1.5);
    foreach (var (key, t) in state.Where(p => p.Key.EndsWith("running_mean")))
        t.uniform_(-0.1, 0.1);
    var tvState = tv.state_dict();
    var onlyTv = tvState.Keys.Except(state.Keys).OrderBy(k => k).ToList();
    var onlyOurs = state.Keys.Except(tvState.Keys).OrderBy(k => k).ToList();
    Console.WriteLine($"resnet18 keys: {state.Count} ours, {tvState.Count} TorchVision; only TorchVision: [{string.Join(", ", onlyTv)}]; only ours: [{string.Join(", ", onlyOurs)}]");
    foreach (var (key, t) in state)
    {
        tvState[key].copy_(t);
        oursCl.state_dict()[key].copy_(t);
    }
    ours.eval();
    oursCl.eval();
    tv.eval();
    var fcWeight = tvState["fc.weight"];
    var fcBias = tvState["fc.bias"];
    var x = randn(8, 3, 224, 224);
    using var logitsTv = tv.forward(x);
    using var pooled = ours.forward(x);
    using var logitsOurs = nn.functional.linear(pooled, fcWeight, fcBias);
    using var diff = logitsTv.sub(logitsOurs).abs();
    Console.WriteLine($"resnet18 logits, batch 8 at 224: max |TorchVision − ours| = {diff.max().item<float>():E2} (logit scale {logitsTv.abs().max().item<float>():F2})");

    double Time(Func<Tensor> forward)
    {
        for (int i = 0; i < 2; i++)
            forward().Dispose();
        var times = new List<double>();
        for (int i = 0; i < repetitions; i++)
        {
            var clock = Stopwatch.StartNew();
            forward().Dispose();
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
        return times.Order().ElementAt(times.Count / 2);
    }
    double tTv = Time(() => tv.forward(x));
    double tOurs = Time(() => ours.forward(x));
    double tOursCl = Time(() => oursCl.forward(x));
    double tTv2 = Time(() => tv.forward(x));
    Console.WriteLine($"resnet18 forward, batch 8 at 224, eval, median of {repetitions}: TorchVision {Math.Min(tTv, tTv2):F0} ms, ours (contiguous) {tOurs:F0} ms, ours (channels-last, our default) {tOursCl:F0} ms");
}

// ---- Decode + resize 256 + centre crop 224 + normalise ------------------------------------------------------
string dir = Directory.CreateTempSubdirectory("tv-compare-").FullName;
try
{
    var random = new Random(16);
    var files = new List<string>();
    for (int i = 0; i < imageCount; i++)
    {
        int w = 400 + random.Next(200), h = 300 + random.Next(200);
        var image = new RgbImage(w, h);
        for (int y = 0; y < h; y++)
            for (int xx = 0; xx < w; xx++)
            {
                int o = (y * w + xx) * 3;
                image.Pixels[o] = (byte)((xx * 255 / w + i * 7) & 255);
                image.Pixels[o + 1] = (byte)((y * 255 / h) ^ (xx & 31));
                image.Pixels[o + 2] = (byte)random.Next(256);
            }
        string file = Path.Combine(dir, $"{i:D3}.jpg");
        File.WriteAllBytes(file, ImageDecoder.EncodeJpeg(image, 90));
        files.Add(file);
    }
    var transform = new ImageTransform(ImageTransformOptions.ImageNet);
    float[] Ours(string file) => transform.Apply(ImageDecoder.Decode(file), null, false, null);
    var tvTransform = torchvision.transforms.Compose(
        torchvision.transforms.Resize(256),
        torchvision.transforms.CenterCrop(224),
        torchvision.transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]));
    var imager = new torchvision.io.SkiaImager();
    using var s255 = 255f.ToScalar();
    Tensor Tv(string file)
    {
        using var scope = NewDisposeScope();
        using var bytes = torchvision.io.read_image(file, torchvision.io.ImageReadMode.RGB, imager);
        using var scaled = bytes.to(ScalarType.Float32).div(s255).unsqueeze(0);
        return tvTransform.call(scaled).MoveToOuterDisposeScope();
    }

    // The Resize transform has no interpolation option (nearest neighbour); the functional resize can do
    // antialiased bilinear, PIL's filter, so that is measured too.
    var crop = torchvision.transforms.CenterCrop(224);
    var normalise = torchvision.transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);
    Tensor TvBilinear(string file)
    {
        using var scope = NewDisposeScope();
        using var bytes = torchvision.io.read_image(file, torchvision.io.ImageReadMode.RGB, imager);
        using var scaled = bytes.to(ScalarType.Float32).div(s255).unsqueeze(0);
        var (w, h) = Resampler.ShorterSideSize((int)scaled.shape[3], (int)scaled.shape[2], 256);
        var resized = torchvision.transforms.functional.resize(scaled, h, w, InterpolationMode.Bilinear, null, true);
        return normalise.call(crop.call(resized)).MoveToOuterDisposeScope();
    }

    // Values: the same file through each pipeline.
    void Compare(string name, Func<string, Tensor> pipeline)
    {
        double maxDiff = 0, meanDiff = 0;
        int n = Math.Min(8, files.Count);
        for (int i = 0; i < n; i++)
        {
            using var a = tensor(Ours(files[i])).reshape(1, 3, 224, 224);
            using var b = pipeline(files[i]);
            using var d = a.sub(b).abs();
            maxDiff = Math.Max(maxDiff, d.max().item<float>());
            meanDiff += d.mean().item<float>() / n;
        }
        Console.WriteLine($"decode+resize+crop+normalise, same JPEG: max |{name} − ours| = {maxDiff:F3}, mean {meanDiff:F4} (normalised units; ours equals PIL)");
    }
    Compare("TorchVision Resize (nearest)", Tv);
    Compare("TorchVision resize bilinear antialias", TvBilinear);

    double Rate(Action<string> run)
    {
        foreach (var f in files.Take(4))
            run(f);
        var clock = Stopwatch.StartNew();
        foreach (var f in files)
            run(f);
        return files.Count / clock.Elapsed.TotalSeconds;
    }
    double rOurs = Rate(f => Ours(f));
    double rTv = Rate(f => Tv(f).Dispose());
    double rTvB = Rate(f => TvBilinear(f).Dispose());
    double rOurs2 = Rate(f => Ours(f));
    double rTv2 = Rate(f => Tv(f).Dispose());
    double rTvB2 = Rate(f => TvBilinear(f).Dispose());
    Console.WriteLine($"decode+resize+crop+normalise, {files.Count} JPEGs ~500×400, images/s: ours {Math.Max(rOurs, rOurs2):F0} (one thread), TorchVision Resize {Math.Max(rTv, rTv2):F0}, bilinear antialias {Math.Max(rTvB, rTvB2):F0} (libtorch threads)");
}
finally
{
    Directory.Delete(dir, recursive: true);
}
