using TorchSharp;

namespace Xbm.Runtime;

/// <summary>
/// TorchSharp Scalars that live as long as the process. TorchSharp 0.107's <see cref="Scalar"/> frees its native
/// value in a finalizer, and its wrappers call native code without keeping the Scalar alive: a temporary Scalar
/// (an implicit conversion such as the <c>1</c> in <c>t.add_(1)</c>, or the alpha that <c>a + b</c> passes
/// internally) can be finalized by a garbage collection on another thread while libtorch still reads it, which
/// aborts the process. So tensor code never makes temporary Scalars: it uses these constants, or
/// <c>using var s = value.ToScalar();</c> for a value known only at run time, and ops that take plain doubles.
/// <c>ScalarLifetimeTests</c> checks every assembly of ours for the pattern.
/// </summary>
public static class Scalars
{
    /// <summary>The integer 0 (valid for tensors of every dtype).</summary>
    public static readonly Scalar Zero = 0.ToScalar();

    /// <summary>The integer 1 (valid for tensors of every dtype; the alpha of a plain add).</summary>
    public static readonly Scalar One = 1.ToScalar();

    /// <summary>The integer −1.</summary>
    public static readonly Scalar MinusOne = (-1).ToScalar();

    /// <summary>The integer −2.</summary>
    public static readonly Scalar MinusTwo = (-2).ToScalar();

    /// <summary>The integer 2.</summary>
    public static readonly Scalar Two = 2.ToScalar();

    /// <summary>The integer 3.</summary>
    public static readonly Scalar Three = 3.ToScalar();

    /// <summary>The boolean false (to clear mask entries).</summary>
    public static readonly Scalar False = false.ToScalar();

    /// <summary>+∞.</summary>
    public static readonly Scalar PositiveInfinity = double.PositiveInfinity.ToScalar();

    /// <summary>−∞.</summary>
    public static readonly Scalar NegativeInfinity = double.NegativeInfinity.ToScalar();
}
