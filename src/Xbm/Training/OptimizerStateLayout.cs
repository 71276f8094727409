using System.Reflection;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Xbm.Training;

/// <summary>
/// TorchSharp saves and loads an optimizer's state (Adam's moments, SGD's momentum) through the raw bytes of each
/// state tensor, which it refuses for tensors that are not contiguous, such as the moments of channels-last weights
/// (<see cref="Models.ChannelsLast"/>). <see cref="Contiguous"/> swaps every such state tensor for a contiguous copy
/// while the state is saved or loaded; disposing the result copies the (loaded) values back into the original
/// tensors, keeping their layout, and puts them back. The file format is that of a contiguous state.
/// </summary>
public sealed class OptimizerStateLayout : IDisposable
{
    private readonly List<(object State, FieldInfo Field, Tensor Original, Tensor Copy)> swapped = new();

    private OptimizerStateLayout(OptimizerHelper optimizer)
    {
        foreach (var state in optimizer.state_dict().State)
        {
            foreach (var field in state.GetType().GetFields(BindingFlags.Public | BindingFlags.Instance))
            {
                if (field.FieldType != typeof(Tensor) || field.GetValue(state) is not Tensor original || original.is_contiguous())
                    continue;
                var copy = original.contiguous();
                field.SetValue(state, copy);
                swapped.Add((state, field, original, copy));
            }
        }
    }

    /// <summary>Makes every state tensor of <paramref name="optimizer"/> contiguous until the result is disposed.</summary>
    public static OptimizerStateLayout Contiguous(OptimizerHelper optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        return new OptimizerStateLayout(optimizer);
    }

    /// <summary>Copies the values back into the original tensors and restores them.</summary>
    public void Dispose()
    {
        using var noGrad = no_grad();
        foreach (var (state, field, original, copy) in swapped)
        {
            // A load may have replaced the field with a tensor of its own; take the values from what is there now.
            var current = (Tensor?)field.GetValue(state);
            if (current is not null)
                original.copy_(current);
            field.SetValue(state, original);
            if (current is not null && !ReferenceEquals(current, copy))
                current.Dispose();
            copy.Dispose();
        }
        swapped.Clear();
    }
}
