using Xbm.Models;
using Xbm.Models.Temporal;
using static TorchSharp.torch;

namespace Xbm.Tests.Models.Temporal;

public sealed class ClipEmbeddingModelTests
{
    private const int Frames = 4;

    private static ClipEmbeddingModel Create(ClipConsensus consensus) =>
        new(new SmallCnn(3, 4), Frames, 16, new ClipEmbeddingOptions
        {
            Consensus = consensus, FrameDimension = 12, RelationDimension = 10,
            Relation = new TemporalRelationOptions { Bottleneck = 8, Seed = 5 },
        });

    [Theory]
    [InlineData(ClipConsensus.Relation)]
    [InlineData(ClipConsensus.Average)]
    public void ForwardGivesUnitEmbeddingsAndGradientsReachTheBackbone(ClipConsensus consensus)
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var model = Create(consensus);
        model.train();
        var clips = randn([3, Frames, 3, 16, 16]);
        var embedding = model.forward(clips);
        Assert.Equal([3L, 16L], embedding.shape);
        var norms = embedding.detach().norm(1).data<float>().ToArray();
        Assert.All(norms, n => Assert.InRange(n, 1 - 1e-5, 1 + 1e-5));

        using var target = randn(3, 16);
        embedding.mul(target).sum().backward();
        var conv1 = model.Backbone.named_parameters().First(p => p.name == "features.conv1.weight").parameter;
        Assert.NotNull(conv1.grad);
        Assert.True(conv1.grad!.abs().sum().item<float>() > 0, "no gradient reached the backbone's first convolution");
        Assert.All(model.named_parameters().Where(p => p.parameter.requires_grad), p =>
            Assert.True(p.parameter.grad is not null, $"{p.name} got no gradient"));
        Assert.Equal(consensus == ClipConsensus.Relation, model.Relation is not null);
        Assert.Equal(16, model.Dimension);
    }

    [Fact]
    public void TheRelationModelSeesFrameOrderTheAverageBaselineDoesNot()
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        using var relation = Create(ClipConsensus.Relation);
        using var average = Create(ClipConsensus.Average);
        relation.eval();
        average.eval();
        var clips = randn([2, Frames, 3, 16, 16]);
        using var order = tensor(new long[] { 3, 1, 0, 2 });
        var shuffled = clips.index_select(1, order);
        using (no_grad())
        {
            double relationChange = relation.forward(clips).sub(relation.forward(shuffled)).abs().max().item<float>();
            double averageChange = average.forward(clips).sub(average.forward(shuffled)).abs().max().item<float>();
            Assert.True(relationChange > 1e-4, $"reordering the frames changed the relation embedding by only {relationChange:E2}");
            Assert.True(averageChange < 1e-5, $"reordering the frames changed the average embedding by {averageChange:E2}");
        }
    }

    [Fact]
    public void TheAverageOfOneRepeatedFrameIsThatFramesImageEmbedding()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var model = Create(ClipConsensus.Average);
        model.eval();
        var frame = randn(2, 3, 16, 16);
        var clips = frame.unsqueeze(1).expand(2, Frames, 3, 16, 16).contiguous();
        using (no_grad())
        {
            var single = model.forward(frame.unsqueeze(1).expand(2, Frames, 3, 16, 16));
            var features = model.Backbone.forward(frame);
            Assert.Equal(single.shape, model.forward(clips).shape);
            // The per-frame embedding (head + L2) of the image model, from the model's own parameters.
            var headWeight = model.named_parameters().First(p => p.name == "head.fc.weight").parameter;
            var headBias = model.named_parameters().First(p => p.name == "head.fc.bias").parameter;
            var expected = nn.functional.normalize(nn.functional.linear(features, headWeight, headBias), p: 2, dim: 1);
            Assert.True(single.sub(expected).abs().max().item<float>() < 1e-5);
        }
    }

    [Fact]
    public void WrongClipShapesAreRejected()
    {
        using var scope = NewDisposeScope();
        using var model = Create(ClipConsensus.Relation);
        Assert.Throws<ArgumentException>(() => model.forward(randn([2, Frames + 1, 3, 16, 16])));
        Assert.Throws<ArgumentException>(() => model.forward(randn(2, 3, 16, 16)));
    }
}
