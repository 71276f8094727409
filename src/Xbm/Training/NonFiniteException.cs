namespace Xbm.Training;

/// <summary>A loss, embedding or gradient became NaN or infinite and the policy is to stop.</summary>
public sealed class NonFiniteException : Exception
{
    /// <summary>Creates the error for <paramref name="iteration"/>.</summary>
    public NonFiniteException(long iteration, string what)
        : base($"iteration {iteration}: {what} is not finite; stopping (the last checkpoint is intact; set on_non_finite: skip to skip such steps, or lower the learning rate)")
    {
        Iteration = iteration;
    }

    /// <summary>The iteration at which it happened.</summary>
    public long Iteration { get; }
}
