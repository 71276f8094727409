using static TorchSharp.torch;

namespace Xbm.Tests.Models;

/// <summary>
/// Our BatchNorm2d replaces TorchSharp's only to count batches without a temporary Scalar (issue 12's crash): the
/// output, the gradients, the running statistics and the state names must be TorchSharp's (and so PyTorch's).
/// </summary>
// TorchSharp's own Adam, AdamW, SGD and BatchNorm2d make temporary Scalars (Runtime.ScalarLifetimeTests): run alone,
// so that no other test's allocations start a collection while they are in native code.
[Collection("global generator")]
public sealed class BatchNormParityTests
{
    [Theory]
    [InlineData(1e-5, 0.1)]
    [InlineData(1e-3, 0.3)]
    public void TrainingAndEvalMatchTorchSharpsBatchNorm(double eps, double momentum)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(5);
        using var ours = new Xbm.Models.BatchNorm2d(6, eps, momentum);
        using var theirs = nn.BatchNorm2d(6, eps, momentum);
        using (no_grad())
        {
            var scale = rand([6], generator: generator);
            var shift = randn([6], generator: generator);
            foreach (var module in new nn.Module[] { ours, theirs })
            {
                module.get_parameter("weight")!.copy_(scale);
                module.get_parameter("bias")!.copy_(shift);
            }
        }
        Assert.Equal(theirs.state_dict().Keys, ours.state_dict().Keys);
        Assert.Equal(theirs.named_parameters().Select(p => p.name), ours.named_parameters().Select(p => p.name));

        for (int step = 0; step < 3; step++)
        {
            var input = randn([4, 6, 5, 3], generator: generator);
            var a = input.clone().requires_grad_();
            var b = input.clone().requires_grad_();
            var outA = ours.forward(a);
            var outB = theirs.forward(b);
            Assert.True(outA.Same(outB));
            outA.mul(outA).sum().backward();
            outB.mul(outB).sum().backward();
            Assert.True(a.grad!.allclose(b.grad!, rtol: 0, atol: 0));
            Assert.True(ours.get_parameter("weight")!.grad!.Same(theirs.get_parameter("weight")!.grad!));
        }
        foreach (var (key, value) in theirs.state_dict())
            Assert.True(value.Same(ours.state_dict()[key]), key);
        Assert.Equal(3L, ours.get_buffer("num_batches_tracked")!.item<long>());

        ours.eval();
        theirs.eval();
        var test = randn([2, 6, 4, 4], generator: generator);
        Assert.True(ours.forward(test).Same(theirs.forward(test)));
        Assert.Equal(3L, ours.get_buffer("num_batches_tracked")!.item<long>());
    }

    [Fact]
    public void AnInputThatIsNotFourDimensionalIsRefused()
    {
        using var bn = new Xbm.Models.BatchNorm2d(3);
        using var input = zeros(2, 3);
        Assert.Contains("4-D", Assert.Throws<ArgumentException>(() => bn.forward(input)).Message);
    }
}
