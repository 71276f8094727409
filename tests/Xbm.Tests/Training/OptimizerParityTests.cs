using TorchSharp;
using TorchSharp.Modules;
using Xbm.Training;
using Xbm.Tests.Models;
using static TorchSharp.torch;

namespace Xbm.Tests.Training;

/// <summary>
/// Our optimizers replace TorchSharp's only to hold their Scalars (issue 12's crash); the update must be the same,
/// bit for bit, and the state must save and load in TorchSharp's format.
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
    public void TheUpdateEqualsTorchSharpsBitForBit(string name, double decay, double momentum, bool variant)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(11);
        var start = randn([7, 5], generator: generator);
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
            var target = randn([7, 5], generator: generator);
            foreach (var (parameter, optimizer) in new[] { (ours, a), (theirs, b) })
            {
                optimizer.zero_grad();
                using var loss = parameter.sub(target).pow(Xbm.Runtime.Scalars.Two).sum();
                loss.backward();
                optimizer.step();
            }
            Assert.True(ours.Same(theirs), $"{name}: step {step + 1} differs by {ours.sub(theirs).abs().max().item<float>()}");
        }
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
