using Xbm.Configuration;
using Xbm.Models;
using Xbm.Training;
using static TorchSharp.torch;

namespace Xbm.Tests.Models;

/// <summary>The linear and cosine classifiers against their closed forms, computed on the host in double precision.</summary>
public sealed class ClassifierHeadTests
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(16.0)]
    public void LogitsMatchTheClosedForm(double scale)
    {
        manual_seed(3);
        using var head = new ClassifierHead(5, 4, scale);
        using var raw = randn(6, 5);
        using var input = nn.functional.normalize(raw, p: 2, dim: 1);
        using var logits = head.forward(input);
        float[] e = input.data<float>().ToArray();
        var parameters = head.named_parameters().ToDictionary(p => p.name, p => p.parameter.data<float>().ToArray());
        float[] w = parameters["fc.weight"];
        Assert.Equal(scale == 0, parameters.ContainsKey("fc.bias")); // the cosine classifier has no bias
        float[] got = logits.data<float>().ToArray();
        for (int i = 0; i < 6; i++)
            for (int c = 0; c < 4; c++)
            {
                double dot = 0, norm = 0;
                for (int k = 0; k < 5; k++)
                {
                    dot += (double)e[i * 5 + k] * w[c * 5 + k];
                    norm += (double)w[c * 5 + k] * w[c * 5 + k];
                }
                double expected = scale == 0 ? dot + parameters["fc.bias"][c] : scale * dot / Math.Sqrt(norm);
                Assert.Equal(expected, got[i * 4 + c], 1e-5);
            }
        if (scale > 0)
            Assert.All(got, v => Assert.InRange(v, -scale - 1e-4, scale + 1e-4));
    }

    [Fact]
    public void TheCosineGradientReachesTheWeightsAndTheEmbeddings()
    {
        manual_seed(4);
        using var head = new ClassifierHead(3, 2, 8);
        using var input = nn.functional.normalize(randn(4, 3), p: 2, dim: 1).requires_grad_();
        using var loss = nn.functional.cross_entropy(head.forward(input), tensor(new long[] { 0, 1, 1, 0 }));
        loss.backward();
        Assert.True(input.grad!.abs().sum().item<float>() > 0);
        Assert.True(head.parameters().Single().grad!.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void TheClassifierKeysAreChecked()
    {
        var cosine = ClassificationConfig.Read(ConfigLoader.Parse("task: classification\nclassification:\n  classifier: cosine\n", "c.yaml"));
        Assert.Equal(16, cosine.ClassifierScale);
        Assert.Equal(0, ClassificationConfig.Read(ConfigLoader.Parse("task: classification\n", "c.yaml")).ClassifierScale);
        var scale = Assert.Throws<ConfigException>(() => ClassificationConfig.Read(ConfigLoader.Parse("task: classification\nclassification:\n  scale: 4\n", "c.yaml")));
        Assert.StartsWith("c.yaml: classification.scale: applies to classifier: cosine only", scale.Message);
    }
}
