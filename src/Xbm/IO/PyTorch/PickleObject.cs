namespace Xbm.IO.PyTorch;

/// <summary>
/// A Python object a pickle builds by calling <see cref="Class"/> with <see cref="Args"/> (REDUCE or NEWOBJ),
/// kept as data: the reader never runs Python code, so a tensor is <c>torch._utils._rebuild_tensor_v2(...)</c>
/// here until the file's reader turns it into a tensor.
/// </summary>
internal sealed class PickleObject(PickleGlobal @class, object?[] args)
{
    /// <summary>The callable.</summary>
    public PickleGlobal Class { get; } = @class;

    /// <summary>The arguments of the call.</summary>
    public object?[] Args { get; } = args;

    /// <summary>The state BUILD gave the object (its attributes), or null.</summary>
    public object? State { get; set; }

    /// <inheritdoc />
    public override string ToString() => $"{Class}(…)";
}
