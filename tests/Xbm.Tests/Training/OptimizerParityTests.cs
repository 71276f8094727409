using TorchSharp;
using TorchSharp.Modules;
using Xbm.Training;
using Xbm.Tests.Models;
using Xbm.Tests.Runtime;
using static TorchSharp.torch;

namespace Xbm.Tests.Training;

/// <summary>
/// Our optimizers replace TorchSharp's to hold their Scalars (issue 12's crash) and, for Adam and AdamW, to update
/// float32 CPU parameters in one host pass (issue 18). The tensor form must give TorchSharp's update bit for bit; the
/// host form the same up to its correctly rounded square root (libtorch's vectorised one is within an ulp); and the
/// state must save and load in TorchSharp's format.
/// </summary>
// TorchSharp's own Adam, AdamW, SGD and BatchNorm2d make temporary Scalars (Runtime.ScalarLifetimeTests): run alone,
// so that no other test's allocations start a collection while they are in native code.
[Collection("global generator")]
public sealed class OptimizerParityTests
{
    public static TheoryData<string, double, double, bool> Settings => new()
    {
        { "adam", 0, 0, false },
        { "adam", 5e-4, 0, false },
        { "adam", 0, 0, true },
        { "adamw", 0.01, 0, false },
        { "adamw", 0.01, 0, true },
        { "sgd", 0, 0, false },
        { "sgd", 5e-4, 0.9, false },
        { "sgd", 5e-4, 0.9, true },
    };

    [Theory]
    [MemberData(nameof(Settings))]
    public void TheTensorFormEqualsTorchSharpsBitForBit(string name, double decay, double momentum, bool variant)
    {
        // float64 parameters take the tensor form (the host form is for float32).
        using var scope = NewDisposeScope();
        long hostUpdates = Xbm.Training.Optimizers.AdamStep.HostUpdates;
        var (ours, theirs) = Train(name, decay, momentum, variant, ScalarType.Float64, channelsLast: false);
        Assert.Equal(hostUpdates, Xbm.Training.Optimizers.AdamStep.HostUpdates);
        Assert.True(ours.Same(theirs), $"{name}: differs by {ours.sub(theirs).abs().max().item<double>()}");
    }

    [Theory]
    [MemberData(nameof(Settings))]
    public void TheFloat32UpdateMatchesTorchSharps(string name, double decay, double momentum, bool variant)
    {
        using var scope = NewDisposeScope();
        foreach (bool channelsLast in new[] { false, true })
        {
            long hostUpdates = Xbm.Training.Optimizers.AdamStep.HostUpdates;
            var (ours, theirs) = Train(name, decay, momentum, variant, ScalarType.Float32, channelsLast);
            Assert.Equal(hostUpdates + (name == "sgd" ? 0 : 6), Xbm.Training.Optimizers.AdamStep.HostUpdates);
            // SGD has no host form: bit for bit. Adam's host form differs only where a square root rounds differently.
            if (name == "sgd")
                Assert.True(ours.Same(theirs), $"{name}: differs by {ours.sub(theirs).abs().max().item<float>()}");
            else
                Assert.True(ours.allclose(theirs, rtol: 1e-6, atol: 1e-8),
                    $"{name}, channels-last {channelsLast}: differs by {ours.sub(theirs).abs().max().item<float>()}");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AFloat32CpuParameterIsUpdatedByTheHostKernel(bool channelsLast)
    {
        // The step through Adam gives exactly AdamKernel's result on host copies of the parameter, gradient and state,
        // for a contiguous and a channels-last parameter: the optimizer takes the host form for both.
        using var scope = NewDisposeScope();
        var generator = new Generator(5);
        var start = randn([3, 4, 5, 6], generator: generator);
        var parameter = new Parameter(channelsLast ? start.ToChannelsLast() : start.clone());
        using var optimizer = new Xbm.Training.Optimizers.AdamW([parameter], 0.01, 0.8, 0.95, 1e-6, weightDecay: 0.1);
        var gradient = randn([3, 4, 5, 6], generator: generator);
        using (var loss = parameter.mul(gradient).sum())
            loss.backward();
        float[] p = Storage(parameter), g = Storage(parameter.grad!), m = new float[p.Length], v = new float[p.Length];
        long hostUpdates = Xbm.Training.Optimizers.AdamStep.HostUpdates;
        optimizer.step();
        Assert.Equal(hostUpdates + 1, Xbm.Training.Optimizers.AdamStep.HostUpdates);
        double shrink = 1 - 0.01 * 0.1, correction1 = 1 - 0.8, correction2 = 1 - 0.95;
        var coefficients = new Xbm.Training.Optimizers.AdamKernel.Coefficients((float)shrink, 0.8f, (float)(1 - 0.8), 0.95f, (float)(1 - 0.95),
            (float)Math.Sqrt(correction2), (float)(-0.01 / correction1), 1e-6f);
        unsafe
        {
            fixed (float* pp = p, gp = g, mp = m, vp = v)
                Xbm.Training.Optimizers.AdamKernel.Update(pp, gp, mp, vp, null, p.Length, coefficients);
        }
        Assert.Equal(p, Storage(parameter));
    }

    // The values in storage order (contiguous or channels-last alike).
    private static float[] Storage(Tensor t) =>
        t.is_contiguous() ? t.detach().data<float>().ToArray() : t.detach().permute(0, 2, 3, 1).contiguous().data<float>().ToArray();

    private static (Tensor Ours, Tensor Theirs) Train(string name, double decay, double momentum, bool variant, ScalarType type, bool channelsLast)
    {
        var generator = new Generator(11);
        var start = randn([7, 5, 3, 2], generator: generator).to(type);
        if (channelsLast)
            start = start.ToChannelsLast();
        var ours = new Parameter(start.clone());
        var theirs = new Parameter(start.clone());
        using OptimizerHelper a = name switch
        {
            "adam" => new Xbm.Training.Optimizers.Adam([ours], 0.01, 0.8, 0.95, 1e-6, decay, amsgrad: variant),
            "adamw" => new Xbm.Training.Optimizers.AdamW([ours], 0.01, 0.8, 0.95, 1e-6, decay, amsgrad: variant),
            _ => new Xbm.Training.Optimizers.Sgd([ours], 0.05, momentum, dampening: variant ? 0 : 0.1, weightDecay: decay, nesterov: variant),
        };
        using OptimizerHelper b = name switch
        {
            "adam" => optim.Adam([theirs], 0.01, 0.8, 0.95, 1e-6, decay, amsgrad: variant),
            "adamw" => optim.AdamW([theirs], 0.01, 0.8, 0.95, 1e-6, decay, amsgrad: variant),
            _ => optim.SGD([theirs], 0.05, momentum, dampening: variant ? 0 : 0.1, weight_decay: decay, nesterov: variant),
        };
        for (int step = 0; step < 6; step++)
        {
            var target = randn([7, 5, 3, 2], generator: generator).to(type);
            foreach (var (parameter, optimizer) in new[] { (ours, a), (theirs, b) })
            {
                optimizer.zero_grad();
                using var loss = parameter.sub(target).pow(Xbm.Runtime.Scalars.Two).sum();
                loss.backward();
                optimizer.step();
            }
        }
        return (ours.detach().clone(), theirs.detach().clone());
    }

    [Fact]
    public void TheFactoryBuildsOursAndTheirStateLoadsIntoOurs()
    {
        using var scope = NewDisposeScope();
        var weights = new Parameter(ones(3, 2));
        using var optimizer = OptimizerFactory.Create(new Xbm.Training.OptimizerOptions("adam", 0.1), [weights]);
        Assert.IsType<Xbm.Training.Optimizers.Adam>(optimizer);

        // A state written by TorchSharp's Adam (older checkpoints) loads into ours and continues the same way.
        var other = new Parameter(ones(3, 2));
        using var theirs = optim.Adam([other], 0.1);
        foreach (var (p, o) in new[] { (weights, (OptimizerHelper)optimizer), (other, theirs) })
        {
            o.zero_grad();
            using var loss = p.sum();
            loss.backward();
            o.step();
        }
        string file = Path.Combine(Path.GetTempPath(), $"xbm-adam-{Guid.NewGuid():N}.bin");
        try
        {
            theirs.save_state_dict(file);
            optimizer.load_state_dict(file);
        }
        finally
        {
            File.Delete(file);
        }
        var state = (TorchSharp.Modules.Adam.State)optimizer.state_dict().State[0];
        Assert.Equal(1, state.step);
    }
}
