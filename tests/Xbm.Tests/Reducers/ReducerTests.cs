using Xbm.Reducers;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Tests.Reducers;

public class ReducerTests
{
    // Four queries; five valid elements of which three are non-zero, one invalid element carrying a value.
    private static (Tensor Losses, Tensor Considered) Sample() =>
        (tensor(new double[] { 1, 0, 2, 0, 3, 0 }), tensor(new[] { true, true, true, true, true, false }));

    [Fact]
    public void SumPerQueryDividesByTheNumberOfQueries()
    {
        var (losses, considered) = Sample();
        var reducer = ReducerFactory.Create("sum_per_query");
        Assert.Equal(6.0 / 4, reducer.Reduce(losses, considered, 4).item<double>(), 12);
        Assert.Equal(4, reducer.Divisor(5, 3, 4));
        Assert.Equal(1, reducer.Divisor(5, 3, 0));
    }

    [Fact]
    public void MeanDividesByTheValidElements()
    {
        var (losses, considered) = Sample();
        var reducer = ReducerFactory.Create("mean");
        Assert.Equal(6.0 / 5, reducer.Reduce(losses, considered, 4).item<double>(), 12);
        Assert.Equal(5, reducer.Divisor(5, 3, 4));
        Assert.Equal(1, reducer.Divisor(0, 0, 4));
    }

    [Fact]
    public void MeanNonZeroDividesByTheContributingElements()
    {
        var (losses, considered) = Sample();
        var reducer = ReducerFactory.Create("mean_nonzero");
        Assert.Equal(6.0 / 3, reducer.Reduce(losses, considered, 4).item<double>(), 12);
        Assert.Equal(3, reducer.Divisor(5, 3, 4));
        Assert.Equal(0, reducer.Reduce(zeros(3, dtype: float64), ones(3, dtype: ScalarType.Bool), 4).item<double>());
    }

    [Fact]
    public void ReduceKeepsTheGradient()
    {
        var x = tensor(new double[] { 1, 2, 0 }, requires_grad: true);
        ReducerFactory.Create("mean_nonzero").Reduce(x.mul(Scalars.Two), ones(3, dtype: ScalarType.Bool), 7).backward();
        Assert.Equal(new double[] { 1, 1, 1 }, x.grad!.data<double>().ToArray());
    }

    [Fact]
    public void UnknownNamesAreRejectedWithTheChoices()
    {
        var error = Assert.Throws<ArgumentException>(() => ReducerFactory.Create("median"));
        Assert.Contains("median", error.Message);
        Assert.Contains("mean_nonzero", error.Message);
    }
}
