using TorchSharp;
using Xbm.Data;
using Xbm.Evaluation;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Tests.Evaluation;

public class EmbedderTests
{
    /// <summary>Generated 1×2×2 "images"; records how it was asked to load them.</summary>
    private sealed class GeneratedSet : IImageSet
    {
        private readonly Tensor _images;

        public GeneratedSet(int count)
        {
            using var size = (count * 4).ToScalar();
            using var ten = 10.ToScalar();
            _images = arange(Scalars.Zero, size, Scalars.One, dtype: float32).reshape(count, 1, 2, 2).div(ten).DetachFromDisposeScope();
            Labels = Enumerable.Range(0, count).Select(i => (long)(i % 3)).ToArray();
        }

        public int Count => (int)_images.shape[0];
        public int Channels => 1;
        public IReadOnlyList<long> Labels { get; }
        public List<(int[] Positions, bool Augment)> Calls { get; } = new();

        public Tensor Load(IReadOnlyList<int> positions, bool augment, ulong seed)
        {
            Calls.Add((positions.ToArray(), augment));
            return _images.index_select(0, tensor(positions.Select(p => (long)p).ToArray()));
        }

        public Tensor All() => _images;
    }

    /// <summary>Flatten, linear, dropout: dropout shows whether eval mode was on.</summary>
    private sealed class Probe : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> linear = nn.Linear(4, 3);
        private readonly nn.Module<Tensor, Tensor> dropout = nn.Dropout(0.9);

        public Probe() : base(nameof(Probe)) => RegisterComponents();

        public List<(bool Training, bool Grad)> Seen { get; } = new();

        public override Tensor forward(Tensor input)
        {
            Seen.Add((training, is_grad_enabled()));
            return dropout.forward(linear.forward(input.flatten(1)));
        }
    }

    [Theory]
    [InlineData(true, 4)]
    [InlineData(false, 3)]
    [InlineData(true, 100)]
    public void EmbedsEveryImageInEvalModeWithoutGradAndRestoresTheMode(bool training, int batchSize)
    {
        using var scope = NewDisposeScope();
        var set = new GeneratedSet(10);
        var model = new Probe();
        model.train(training);

        var embeddings = Embedder.Embed(model, set, batchSize, CPU);

        Assert.Equal(training, model.training);
        Assert.Equal(new long[] { 10, 3 }, embeddings.shape);
        Assert.Equal(ScalarType.Float32, embeddings.dtype);
        Assert.False(embeddings.requires_grad);
        Assert.All(model.Seen, s => Assert.Equal((false, false), s));
        Assert.Equal((10 + batchSize - 1) / batchSize, set.Calls.Count);
        Assert.All(set.Calls, c => Assert.False(c.Augment));
        Assert.Equal(Enumerable.Range(0, 10), set.Calls.SelectMany(c => c.Positions));

        model.eval();
        using (no_grad())
        {
            var expected = model.forward(set.All());
            Assert.True(expected.allclose(embeddings, rtol: 1e-6, atol: 1e-6));
        }
    }

    [Fact]
    public void RestoresTheModeWhenTheModelFails()
    {
        var set = new GeneratedSet(5);
        var model = nn.Sequential(nn.Flatten(), nn.Linear(3, 2)); // wrong input size: forward throws
        model.train(true);
        Assert.ThrowsAny<Exception>(() => Embedder.Embed(model, set, 2, CPU));
        Assert.True(model.training);
        Assert.Throws<ArgumentOutOfRangeException>(() => Embedder.Embed(model, set, 0, CPU));
    }
}
