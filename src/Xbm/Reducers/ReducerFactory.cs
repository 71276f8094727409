namespace Xbm.Reducers;

/// <summary>Creates reducers by name.</summary>
public static class ReducerFactory
{
    /// <summary>The names <see cref="Create"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = new[] { "sum_per_query", "mean", "mean_nonzero" };

    /// <summary>Creates the reducer called <paramref name="name"/>.</summary>
    public static IReducer Create(string name) => name switch
    {
        "sum_per_query" => new SumPerQueryReducer(),
        "mean" => new MeanReducer(),
        "mean_nonzero" => new MeanNonZeroReducer(),
        _ => throw new ArgumentException($"unknown reducer '{name}' (expected one of: {string.Join(", ", Names)})"),
    };
}
