namespace Xbm.Data.Clips;

/// <summary>Options of <see cref="MovingFashion"/>.</summary>
public sealed record MovingFashionOptions
{
    /// <summary>The folder to write.</summary>
    public required string Output { get; init; }

    /// <summary>The Fashion-MNIST folder (four IDX files).</summary>
    public string Root { get; init; } = FashionMnist.DefaultRoot;

    /// <summary>Classes are direction × the item's Fashion-MNIST class (40) instead of the direction alone (4).</summary>
    public bool ItemClasses { get; init; }

    /// <summary>Training clips per class.</summary>
    public int TrainPerClass { get; init; } = 250;

    /// <summary>Test clips per class.</summary>
    public int TestPerClass { get; init; } = 100;

    /// <summary>Frames per clip.</summary>
    public int Frames { get; init; } = 8;

    /// <summary>Side of the square canvas in pixels (at least 29: the item must move).</summary>
    public int Canvas { get; init; } = 40;

    /// <summary>Seed of the items and offsets.</summary>
    public ulong Seed { get; init; }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Output))
            throw new ArgumentException("--out is empty");
        if (TrainPerClass < 1 || TestPerClass < 1)
            throw new ArgumentException($"clips per class must be at least 1 (train {TrainPerClass}, test {TestPerClass})");
        if (Frames < 2)
            throw new ArgumentException($"--frames must be at least 2, got {Frames}");
        if (Canvas <= FashionMnist.Side || Canvas > 512)
            throw new ArgumentException($"--canvas must be in {FashionMnist.Side + 1}..512 (the item is {FashionMnist.Side} pixels), got {Canvas}");
    }
}
