namespace Xbm.IO.PyTorch;

/// <summary>A Python class or function a pickle names (GLOBAL "module name"); the reader never imports or calls it.</summary>
/// <param name="Module">The module, e.g. "torch._utils".</param>
/// <param name="Name">The name inside it, e.g. "_rebuild_tensor_v2".</param>
internal sealed record PickleGlobal(string Module, string Name)
{
    /// <summary>"module.name".</summary>
    public override string ToString() => $"{Module}.{Name}";
}
