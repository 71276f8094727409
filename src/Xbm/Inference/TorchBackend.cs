using static TorchSharp.torch;

namespace Xbm.Inference;

/// <summary>A trained run's model on TorchSharp, in eval mode without gradients, on the run's device.</summary>
internal sealed class TorchBackend : IEmbeddingBackend
{
    /// <summary>Wraps an opened run model (the backend owns it).</summary>
    public TorchBackend(RunModel trained)
    {
        Trained = trained;
        Trained.Model.eval();
    }

    /// <summary>The run's model.</summary>
    public RunModel Trained { get; }

    /// <inheritdoc />
    public int Dimension => (int)Trained.Model.Dimension;

    /// <inheritdoc />
    public float[] Run(float[] images, int count, int channels, int height, int width)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var batch = tensor(images, new long[] { count, channels, height, width });
        return Embed(batch);
    }

    /// <summary>Embeds an N×C×H×W tensor (any device); returns N×d floats.</summary>
    public float[] Embed(Tensor images)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var output = Trained.Model.forward(images.to(Trained.Device)).to(ScalarType.Float32).cpu().contiguous();
        return output.data<float>().ToArray();
    }

    /// <inheritdoc />
    public void Dispose() => Trained.Dispose();
}
