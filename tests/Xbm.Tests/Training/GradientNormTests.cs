using TorchSharp;
using TorchSharp.Modules;
using Xbm.Training;
using Xbm.Tests.Runtime;
using static TorchSharp.torch;

namespace Xbm.Tests.Training;

/// <summary>
/// The trainer's gradient norm (issue 18: taken on the host for dense float32 gradients) equals a brute-force sum in
/// double precision over every gradient, whatever its layout or type, and is not finite when a gradient is not.
/// </summary>
public sealed class GradientNormTests
{
    [Fact]
    public void TheNormIsTheBruteForceNormOverEveryLayoutAndType()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(3);
        var parameters = new[]
        {
            new Parameter(zeros(37)),                                                 // contiguous, a ragged tail
            new Parameter(zeros(2, 3, 5, 5).ToChannelsLast()),    // channels-last
            new Parameter(zeros(6, 4, dtype: ScalarType.Float64)),                     // another type: tensor form
            new Parameter(zeros(3)),                                                   // no gradient
        };
        double expected = 0;
        using var hundred = 100.0.ToScalar();
        foreach (var parameter in parameters.Take(3))
        {
            var gradient = randn(parameter.shape, generator: generator).mul(hundred).to(parameter.dtype);
            parameter.grad = parameter.is_contiguous() ? gradient : gradient.ToChannelsLast();
            foreach (double g in gradient.to(ScalarType.Float64).data<double>().ToArray())
                expected += g * g;
        }
        Assert.Null(parameters[3].grad);
        Assert.Equal(Math.Sqrt(expected), GradientNorm.Of(parameters), 1e-9 * Math.Sqrt(expected));
    }

    [Fact]
    public void ANonFiniteGradientGivesANonFiniteNorm()
    {
        using var scope = NewDisposeScope();
        var parameter = new Parameter(zeros(20));
        var gradient = ones(20);
        gradient[13] = tensor(float.NaN);
        parameter.grad = gradient;
        Assert.False(double.IsFinite(GradientNorm.Of([parameter])));
        gradient[13] = tensor(float.PositiveInfinity);
        Assert.False(double.IsFinite(GradientNorm.Of([parameter])));
        Assert.Equal(0, GradientNorm.Of([new Parameter(zeros(3))]));
    }
}
