using TorchSharp;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Losses;

/// <summary>
/// Attaches a loss computed on the detached similarity matrix S = Q·Kᵀ to the autograd graph of the queries
/// and keys, given its closed-form gradient G = ∂L/∂S.
/// </summary>
/// <remarks>
/// The returned scalar is <c>x + (value − x.detach())</c> with <c>x = Σ Q ⊙ (G·K)</c> and G constant. Its value is
/// the loss; its gradient is ∂L/∂Q = G·K and, when the keys carry gradient (the batch used as its own keys),
/// ∂L/∂K = Gᵀ·Q. That is exactly the chain rule through S, with one B×M×d product in the forward pass and none
/// for the queries in the backward pass: the docs/design.md §7 floor of two products per memory-loss step.
/// First-order gradients only (no double backward).
/// </remarks>
public static class SimilarityGradient
{
    /// <summary>
    /// Returns <paramref name="sum"/> / <paramref name="divisor"/> as a scalar whose gradient w.r.t. the
    /// queries and keys is (<paramref name="rowScale"/> ⊙ <paramref name="gradient"/> / <paramref name="divisor"/>)
    /// chained through S = Q·Kᵀ; <paramref name="rowScale"/> (B×1) may be null.
    /// </summary>
    public static Tensor Attach(Tensor queries, Tensor keys, Tensor sum, Tensor? gradient, double divisor, Tensor? rowScale = null) =>
        Attach(queries, keys, sum, gradient, null, divisor, rowScale);

    /// <summary>
    /// As <see cref="Attach(Tensor, Tensor, Tensor, Tensor?, double, Tensor?)"/>, with the gradient given either
    /// dense (<paramref name="gradient"/>) or sparse (<paramref name="sparse"/>: G·K is then an index-add of the
    /// touched key rows, which carries gradient to the keys as well when they need it).
    /// </summary>
    public static Tensor Attach(Tensor queries, Tensor keys, Tensor sum, Tensor? gradient, SparseGradient? sparse, double divisor, Tensor? rowScale = null)
    {
        Tensor value;
        using var divisorScalar = divisor.ToScalar();
        using (no_grad())
            value = sum.detach().div(divisorScalar);
        bool tracked = is_grad_enabled() && (queries.requires_grad || keys.requires_grad);
        if (!tracked)
            return value;
        Tensor surrogate;
        if (gradient is null && sparse is null)
        {
            // Nothing contributes: the loss is constant, but it stays in the graph with a zero gradient.
            surrogate = (queries.requires_grad ? queries : keys).sum().mul(Scalars.Zero);
        }
        else
        {
            // diag(r)·(G·K) = (diag(r)·G)·K: the row scale is applied to the B×d product.
            var scale = rowScale is null ? PairMath.Scalar(value, 1 / divisor) : rowScale.div(divisorScalar);
            var product = sparse is null
                ? gradient!.matmul(keys)
                : zeros(queries.shape[0], keys.shape[1], dtype: keys.dtype, device: keys.device)
                    .index_add(0, sparse.Rows, keys.index_select(0, sparse.Columns).mul(sparse.Values.unsqueeze(1)), Scalars.One);
            surrogate = queries.mul(product.mul(scale)).sum();
        }
        return surrogate.add(value.sub(surrogate.detach()), Scalars.One);
    }

    /// <summary>
    /// Returns <paramref name="sum"/> / <paramref name="divisor"/> as a scalar whose gradient w.r.t. the queries is
    /// <paramref name="product"/> / <paramref name="divisor"/>, where <paramref name="product"/> = G·K (B×d) was
    /// computed already, for keys that carry no gradient (a memory).
    /// </summary>
    public static Tensor AttachProduct(Tensor queries, Tensor sum, Tensor product, double divisor)
    {
        Tensor value;
        using var divisorScalar = divisor.ToScalar();
        using (no_grad())
            value = sum.detach().div(divisorScalar);
        if (!is_grad_enabled() || !queries.requires_grad)
            return value;
        var surrogate = queries.mul(product.mul(PairMath.Scalar(value, 1 / divisor))).sum();
        return surrogate.add(value.sub(surrogate.detach()), Scalars.One);
    }

    /// <summary>
    /// For a loss linear in S given detached weights G: returns (<paramref name="constant"/> + Σ G ⊙ S) /
    /// <paramref name="divisor"/>, where Σ G ⊙ S = ⟨Q, G·K⟩ comes from the product that also carries the gradient
    /// (∂/∂Q = G·K / divisor, ∂/∂K = Gᵀ·Q / divisor). Without gradient tracking it is a dot product over B×M.
    /// </summary>
    public static Tensor AttachLinear(Tensor queries, Tensor keys, Tensor similarities, Tensor constant, Tensor? gradient, double divisor)
    {
        bool tracked = is_grad_enabled() && (queries.requires_grad || keys.requires_grad);
        if (gradient is null)
            return Attach(queries, keys, constant, null, divisor);
        using var divisorScalar = divisor.ToScalar();
        if (!tracked)
        {
            using var noGrad = no_grad();
            return similarities.reshape(-1).dot(gradient.reshape(-1)).add_(constant, Scalars.One).div_(divisorScalar);
        }
        var linear = queries.mul(gradient.matmul(keys)).sum();
        return linear.add(constant.detach(), Scalars.One).div(divisorScalar);
    }
}
