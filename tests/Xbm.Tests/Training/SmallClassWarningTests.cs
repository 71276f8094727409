using Xbm.Configuration;
using Xbm.Tests.Data.Images;
using Xbm.Training;

namespace Xbm.Tests.Training;

/// <summary>Issue 12 (B): training classes smaller than K are padded or dropped by the sampler, and a warning says so.</summary>
public sealed class SmallClassWarningTests : IDisposable
{
    private readonly string _root = ImageFixtures.TempFolder("small-classes");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private sealed class Messages : ITrainingObserver
    {
        public List<string> Lines { get; } = new();

        public void OnStep(StepReport report) { }

        public void OnEvaluation(long iteration, string split, IReadOnlyDictionary<string, double> metrics) { }

        public void OnMessage(string message) => Lines.Add(message);
    }

    private void Write(string split, string name, int count)
    {
        string folder = Directory.CreateDirectory(Path.Combine(_root, "data", split, name)).FullName;
        for (int i = 0; i < count; i++)
            File.WriteAllBytes(Path.Combine(folder, $"{i}.png"), Xbm.Data.Images.ImageDecoder.EncodePng(ImageFixtures.Synthetic(8 + i, 8)));
    }

    [Theory]
    [InlineData("drop", "are left out of every batch (sampler.small_classes: drop), e.g. label 2 (1 image(s))")]
    [InlineData("pad", "their images are drawn again to fill a batch (sampler.small_classes: pad), e.g. label 2 (1 image(s))")]
    public void ClassesSmallerThanKAreReported(string policy, string expected)
    {
        Write("train", "ant", 3);
        Write("train", "bee", 3);
        Write("train", "cod", 1);
        Write("test", "dog", 2);
        Write("test", "eel", 2);
        string yaml = $"seed: 0\niterations: 1\nthreads: 1\ndata: {{dataset: folder, root: \"{Path.Combine(_root, "data")}\", image_size: 8, resize: 8, workers: 1}}\n"
            + "model: {backbone: small_cnn, dimension: 4, width: 2}\n"
            + $"sampler: {{classes_per_batch: 2, images_per_class: 2, small_classes: {policy}}}\nloss: contrastive\nmemory: none\n";
        var messages = new Messages();
        using var run = TrainingRun.Create(ConfigLoader.Parse(yaml, "small.yaml"), Path.Combine(_root, "run"), observer: messages);
        string warning = Assert.Single(messages.Lines, l => l.StartsWith("warning: 1 training class(es)", StringComparison.Ordinal));
        Assert.EndsWith(expected, warning);
    }
}
