namespace Xbm.Tests.Evaluation;

/// <summary>Tests that count live tensors (Tensor.TotalCount is process-wide) run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialEvaluationTests
{
    public const string Name = "Evaluation tests that count live tensors";
}
