using TorchSharp;
using Xbm.Runtime;
using static TorchSharp.torch;

namespace Xbm.Evaluation;

/// <summary>
/// Seeded k-means on TorchSharp (squared Euclidean distance): k-means++ initialisation (each next centre drawn with
/// probability proportional to the squared distance to the nearest chosen one, from a <see cref="SeededRandom"/>),
/// then Lloyd iterations with chunked assignment (never an N×k matrix). An empty cluster is moved to the point
/// farthest from its centroid (our choice). Ties in the assignment go to the lower cluster index.
/// </summary>
public static class KMeans
{
    /// <summary>Clusters the rows of <paramref name="points"/> (N×d, any device) into <paramref name="k"/> clusters.</summary>
    public static KMeansResult Fit(Tensor points, int k, KMeansOptions? options = null)
    {
        options ??= new KMeansOptions();
        if (points.dim() != 2 || !points.is_floating_point())
            throw new ArgumentException($"points must be a floating-point N×d tensor, got {points.dtype} [{string.Join(", ", points.shape)}]", nameof(points));
        long n = points.shape[0];
        if (k < 1 || k > n)
            throw new ArgumentOutOfRangeException(nameof(k), $"k = {k} must be between 1 and the number of points ({n})");
        if (options.MaxIterations < 1 || options.Restarts < 1 || options.ChunkSize < 1 || options.Tolerance < 0)
            throw new ArgumentException("KMeansOptions needs MaxIterations, Restarts and ChunkSize ≥ 1 and Tolerance ≥ 0", nameof(options));

        using var scope = NewDisposeScope();
        var x = points.detach().to(float32).contiguous();
        using (var finite = x.isfinite().all())
        {
            if (!finite.item<bool>())
                throw new ArgumentException("points contain NaN or infinite values", nameof(points));
        }
        var squaredNorms = x.mul(x).sum(1);
        double tolerance = options.Tolerance * x.var(0, unbiased: false).mean().to(float64).item<double>();
        int chunk = (int)Math.Max(1, Math.Min(options.ChunkSize, (1L << 26) / k));

        (long[] Assignments, Tensor Centroids, double Inertia, int Iterations, bool Converged)? best = null;
        for (int restart = 0; restart < options.Restarts; restart++)
        {
            using var restartScope = NewDisposeScope();
            var random = SeededRandom.Derive(options.Seed, (ulong)restart);
            var centroids = PlusPlus(x, squaredNorms, k, random);
            int iterations = 0;
            bool converged = false;
            while (iterations < options.MaxIterations)
            {
                iterations++;
                using var step = NewDisposeScope();
                var (assignment, distance) = Assign(x, squaredNorms, centroids, chunk);
                var updated = Update(x, assignment, distance, centroids);
                var moved = updated.sub(centroids);
                double shift = moved.mul(moved).sum().to(float64).item<double>();
                var previous = centroids;
                centroids = updated.MoveToOuterDisposeScope();
                previous.Dispose();
                if (shift <= tolerance)
                {
                    converged = true;
                    break;
                }
            }
            var (finalAssignment, finalDistance) = Assign(x, squaredNorms, centroids, chunk);
            double inertia = finalDistance.to(float64).sum().item<double>();
            if (best is null || inertia < best.Value.Inertia)
            {
                best?.Centroids.Dispose();
                var kept = centroids.cpu().DetachFromDisposeScope();
                best = (finalAssignment.cpu().data<long>().ToArray(), kept, inertia, iterations, converged);
            }
        }
        var (assignments, centres, bestInertia, bestIterations, bestConverged) = best!.Value;
        return new KMeansResult(assignments, centres, bestInertia, bestIterations, bestConverged);
    }

    /// <summary>k-means++: the first centre uniformly, each next one with probability ∝ squared distance to the nearest.</summary>
    private static Tensor PlusPlus(Tensor x, Tensor squaredNorms, int k, SeededRandom random)
    {
        long n = x.shape[0];
        var centroids = empty(k, x.shape[1], dtype: float32, device: x.device);
        long first = random.Next((int)n);
        centroids[0].copy_(x[first]);
        var nearest = SquaredDistances(x, squaredNorms, x[first]).to(float64);
        for (int c = 1; c < k; c++)
        {
            using var step = NewDisposeScope();
            var cumulative = nearest.cumsum(0);
            double total = cumulative[n - 1].item<double>();
            long chosen;
            if (total > 0)
            {
                double u = random.NextDouble() * total;
                using var value = u.ToScalar();
                chosen = Math.Min(searchsorted(cumulative, value, out_int32: false, right: true, sorter: null).item<long>(), n - 1);
            }
            else
            {
                chosen = random.Next((int)n); // every point already coincides with a centre
            }
            centroids[c].copy_(x[chosen]);
            nearest.copy_(minimum(nearest, SquaredDistances(x, squaredNorms, x[chosen]).to(float64)));
        }
        return centroids;
    }

    private static Tensor SquaredDistances(Tensor x, Tensor squaredNorms, Tensor centre) =>
        squaredNorms.add(x.mv(centre), Scalars.MinusTwo).add_(centre.mul(centre).sum(), Scalars.One).clamp_min_(Scalars.Zero);

    /// <summary>Nearest centroid of every point and the squared distance to it, in chunks of points.</summary>
    private static (Tensor Assignment, Tensor Distance) Assign(Tensor x, Tensor squaredNorms, Tensor centroids, int chunk)
    {
        long n = x.shape[0];
        var assignment = empty(n, dtype: int64, device: x.device);
        var distance = empty(n, dtype: float32, device: x.device);
        var centroidNorms = centroids.mul(centroids).sum(1);
        for (long start = 0; start < n; start += chunk)
        {
            using var scope = NewDisposeScope();
            long rows = Math.Min(chunk, n - start);
            var d2 = centroidNorms.unsqueeze(0).add(x.narrow(0, start, rows).mm(centroids.t()), Scalars.MinusTwo);
            var nearest = d2.argmin(1); // first minimum: the lower cluster index wins ties
            assignment.narrow(0, start, rows).copy_(nearest);
            distance.narrow(0, start, rows).copy_(d2.gather(1, nearest.unsqueeze(1)).squeeze(1).add_(squaredNorms.narrow(0, start, rows), Scalars.One).clamp_min_(Scalars.Zero));
        }
        return (assignment, distance);
    }

    /// <summary>Means of the assigned points; an empty cluster takes the farthest points (one each, farthest first).</summary>
    private static Tensor Update(Tensor x, Tensor assignment, Tensor distance, Tensor centroids)
    {
        int k = (int)centroids.shape[0];
        var sums = zeros(k, x.shape[1], dtype: float32, device: x.device).index_add_(0, assignment, x, Scalars.One);
        var counts = assignment.bincount(null, k);
        var updated = sums.div(counts.clamp_min(Scalars.One).unsqueeze(1).to(float32));
        var empties = counts.eq(Scalars.Zero).nonzero().squeeze(1);
        long emptyCount = empties.shape[0];
        if (emptyCount > 0)
        {
            var (_, farthest) = distance.topk((int)emptyCount, dim: 0, largest: true, sorted: true);
            updated.index_copy_(0, empties, x.index_select(0, farthest));
        }
        return updated;
    }
}
