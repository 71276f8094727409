using Xbm.Configuration;
using Xbm.Data;

namespace Xbm.Tests.Data;

public class PKSamplerTests
{
    /// <summary>Labels with the given number of images per class (class c has label 10 + c), interleaved.</summary>
    private static long[] Labels(params int[] sizes)
    {
        var labels = new List<long>();
        int max = sizes.Max();
        for (int i = 0; i < max; i++)
            for (int c = 0; c < sizes.Length; c++)
                if (i < sizes[c])
                    labels.Add(10 + c);
        return labels.ToArray();
    }

    private static PKSamplerOptions Options(int p, int k, ulong seed = 1, SmallClassPolicy policy = SmallClassPolicy.Pad) =>
        new() { ClassesPerBatch = p, ImagesPerClass = k, Seed = seed, SmallClasses = policy };

    private static List<int[]> Draw(PKSampler sampler, int count) => Enumerable.Range(0, count).Select(_ => sampler.Next()).ToList();

    [Fact]
    public void EveryBatchHasPDistinctClassesTimesKImagesGroupedByClass()
    {
        long[] labels = Labels(37, 5, 120, 64, 9, 18, 3);
        var sampler = new PKSampler(labels, Options(3, 4));
        foreach (int[] batch in Draw(sampler, 600))
        {
            Assert.Equal(12, batch.Length);
            var groups = batch.Chunk(4).Select(chunk => chunk.Select(p => labels[p]).Distinct().ToArray()).ToArray();
            Assert.All(groups, g => Assert.Single(g));
            Assert.Equal(3, groups.Select(g => g[0]).Distinct().Count());
        }
        Assert.True(sampler.Pass > 5);
    }

    [Fact]
    public void SameSeedSameSequenceDifferentSeedDifferentSequence()
    {
        long[] labels = Labels(30, 30, 30, 30, 30);
        var a = Draw(new PKSampler(labels, Options(2, 8, seed: 7)), 200);
        var b = Draw(new PKSampler(labels, Options(2, 8, seed: 7)), 200);
        var c = Draw(new PKSampler(labels, Options(2, 8, seed: 8)), 200);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void APassWithEqualClassesCoversEveryImageExactlyOnce()
    {
        // 4 classes × 24 images, P = 4, K = 6: every batch takes one chunk of each class, 4 batches per pass.
        long[] labels = Labels(24, 24, 24, 24);
        var sampler = new PKSampler(labels, Options(4, 6, seed: 3));
        Assert.Equal(16, sampler.ChunksPerPass);
        Assert.Equal(0, sampler.PaddingPerPass);
        for (int pass = 1; pass <= 3; pass++)
        {
            var positions = Draw(sampler, 4).SelectMany(b => b).Order().ToArray();
            Assert.Equal(pass, sampler.Pass);
            Assert.Equal(Enumerable.Range(0, labels.Length).ToArray(), positions);
        }
    }

    [Fact]
    public void APassUsesEveryChunkOnceUntilFewerThanPClassesRemain()
    {
        int[] sizes = [25, 7, 40, 13, 16, 4];
        long[] labels = Labels(sizes);
        const int k = 4, p = 2;
        var sampler = new PKSampler(labels, Options(p, k, seed: 11));
        int[] chunks = sizes.Select(n => (n + k - 1) / k).ToArray();
        Assert.Equal(chunks.Sum(), sampler.ChunksPerPass);
        Assert.Equal(chunks.Select((c, i) => c * k - sizes[i]).Sum(), sampler.PaddingPerPass);

        var byPass = new List<List<int[]>>();
        while (byPass.Count <= 20)
        {
            int[] batch = sampler.Next();
            if (sampler.Pass > byPass.Count)
                byPass.Add([]);
            byPass[(int)sampler.Pass - 1].Add(batch);
        }
        foreach (var batches in byPass.Take(20)) // complete passes only
        {
            // Chunks used per class never exceed the class's chunks; classes left with chunks are fewer than P.
            var used = new int[sizes.Length];
            var seen = new List<int>[sizes.Length];
            for (int c = 0; c < sizes.Length; c++)
                seen[c] = [];
            foreach (int[] batch in batches)
                foreach (int[] chunk in batch.Chunk(k))
                {
                    int c = (int)labels[chunk[0]] - 10;
                    used[c]++;
                    seen[c].AddRange(chunk);
                }
            Assert.All(Enumerable.Range(0, sizes.Length), c => Assert.InRange(used[c], 0, chunks[c]));
            int left = Enumerable.Range(0, sizes.Length).Count(c => used[c] < chunks[c]);
            Assert.True(left < p, $"a pass ended with {left} classes left, P = {p}");
            Assert.Equal(used.Sum(), batches.Count * p);
            // A fully used class shows every one of its images, plus exactly its padding repeats.
            for (int c = 0; c < sizes.Length; c++)
            {
                if (used[c] != chunks[c])
                    continue;
                int[] own = Enumerable.Range(0, labels.Length).Where(i => labels[i] == 10 + c).ToArray();
                Assert.Equal(own, seen[c].Distinct().Order().ToArray());
                Assert.Equal(chunks[c] * k, seen[c].Count);
            }
        }
    }

    [Fact]
    public void ClassesAreDrawnInProportionToTheirRemainingChunks()
    {
        // P = 1: the first batch of a pass comes from class A (90 chunks) with probability 0.9, B (10 chunks) 0.1.
        long[] labels = [.. Enumerable.Repeat(0L, 90 * 2), .. Enumerable.Repeat(1L, 10 * 2)];
        int fromA = 0;
        const int trials = 2000;
        for (ulong seed = 0; seed < trials; seed++)
        {
            int[] batch = new PKSampler(labels, Options(1, 2, seed)).Next();
            fromA += labels[batch[0]] == 0 ? 1 : 0;
        }
        // Binomial(2000, 0.9): standard deviation 13.4; allow 5 of them.
        Assert.InRange(fromA, 1800 - 67, 1800 + 67);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(17)]   // mid-pass
    [InlineData(40)]   // across passes
    public void StateRoundTripContinuesTheIdenticalSequence(int before)
    {
        long[] labels = Labels(21, 13, 30, 8, 17);
        var options = Options(2, 4, seed: 99);
        var original = new PKSampler(labels, options);
        Draw(original, before);
        SamplerState state = original.GetState();
        Assert.Equal(before, state.BatchesDrawn);
        var expected = Draw(original, 60);

        var resumed = new PKSampler(labels, options);
        resumed.LoadState(state);
        Assert.Equal(before, resumed.BatchesDrawn);
        Assert.Equal(expected, Draw(resumed, 60));
        Assert.Equal(original.Pass, resumed.Pass);
        Assert.Equal(original.BatchesDrawn, resumed.BatchesDrawn);

        // Loading into a sampler that has moved on rewinds it too.
        original.LoadState(state);
        Assert.Equal(expected, Draw(original, 60));
    }

    [Fact]
    public void StateOfAnotherSamplerIsRejected()
    {
        long[] labels = Labels(20, 20, 20);
        var state = new PKSampler(labels, Options(2, 4)).GetState();
        var otherK = Assert.Throws<ArgumentException>(() => new PKSampler(labels, Options(2, 5)).LoadState(state));
        Assert.Contains("saved for P = 2, K = 4, 60 images", otherK.Message);
        long[] otherLabels = Labels(20, 20, 20);
        otherLabels[0] = 12;
        Assert.Throws<ArgumentException>(() => new PKSampler(otherLabels, Options(2, 4)).LoadState(state));
    }

    [Fact]
    public void PadPolicyRepeatsImagesOfSmallClassesAndReportsThem()
    {
        long[] labels = Labels(20, 2, 20);
        var sampler = new PKSampler(labels, Options(2, 4));
        Assert.Equal(new[] { new ClassCount(11, 2) }, sampler.PaddedClasses);
        Assert.Empty(sampler.DroppedClasses);
        Assert.Equal(3, sampler.ClassCount);
        var smallChunks = Draw(sampler, 200).SelectMany(b => b.Chunk(4)).Where(chunk => labels[chunk[0]] == 11).ToList();
        Assert.NotEmpty(smallChunks);
        int[] own = Enumerable.Range(0, labels.Length).Where(i => labels[i] == 11).ToArray();
        Assert.All(smallChunks, chunk => Assert.Equal(own, chunk.Distinct().Order().ToArray()));
    }

    [Fact]
    public void DropPolicyLeavesSmallClassesOut()
    {
        long[] labels = Labels(20, 2, 20, 3);
        var sampler = new PKSampler(labels, Options(2, 4, policy: SmallClassPolicy.Drop));
        Assert.Equal(new[] { new ClassCount(11, 2), new ClassCount(13, 3) }, sampler.DroppedClasses);
        Assert.Empty(sampler.PaddedClasses);
        Assert.Equal(2, sampler.ClassCount);
        Assert.All(Draw(sampler, 100).SelectMany(b => b), p => Assert.Contains(labels[p], new long[] { 10, 12 }));

        var tooFew = Assert.Throws<ArgumentException>(() => new PKSampler(labels, Options(3, 4, policy: SmallClassPolicy.Drop)));
        Assert.StartsWith("a batch needs P = 3 distinct classes, but the dataset has only 2 usable classes (2 dropped with fewer than K = 4 images)", tooFew.Message);
    }

    [Fact]
    public void ErrorPolicyNamesTheClassAndItsCount()
    {
        long[] labels = Labels(20, 20, 3);
        var error = Assert.Throws<ArgumentException>(() => new PKSampler(labels, Options(2, 4, policy: SmallClassPolicy.Error)));
        Assert.StartsWith("class 12 has 3 images, fewer than K = 4 images per class", error.Message);
    }

    [Fact]
    public void InvalidSettingsAreClearErrors()
    {
        long[] labels = Labels(10, 10);
        Assert.StartsWith("P (classes per batch) must be at least 1, got 0", Assert.Throws<ArgumentException>(() => new PKSampler(labels, Options(0, 4))).Message);
        Assert.StartsWith("K (images per class) must be at least 1, got 0", Assert.Throws<ArgumentException>(() => new PKSampler(labels, Options(2, 0))).Message);
        Assert.StartsWith("the P×K sampler got an empty dataset", Assert.Throws<ArgumentException>(() => new PKSampler([], Options(2, 4))).Message);
        Assert.StartsWith("a batch needs P = 3 distinct classes, but the dataset has only 2 usable classes", Assert.Throws<ArgumentException>(() => new PKSampler(labels, Options(3, 4))).Message);
    }

    [Fact]
    public void SamplerConfigReadsPKPolicyAndPrefetch()
    {
        var section = new ConfigSection(new Dictionary<string, object?>
        {
            ["classes_per_batch"] = "5", ["images_per_class"] = "16", ["small_classes"] = "drop", ["prefetch"] = "0",
        }, "demo.yaml", "sampler");
        var config = SamplerConfig.Read(section, 4);
        var options = config.Options;
        Assert.Equal((5, 16, SmallClassPolicy.Drop, 4UL, 80, 0), (options.ClassesPerBatch, options.ImagesPerClass, options.SmallClasses, options.Seed, options.BatchSize, config.Prefetch));
        var defaults = SamplerConfig.Read(ConfigSection.Empty("demo.yaml", "sampler"), 0);
        Assert.Equal((8, 4, SmallClassPolicy.Pad, 2), (defaults.Options.ClassesPerBatch, defaults.Options.ImagesPerClass, defaults.Options.SmallClasses, defaults.Prefetch));
        var bad = Assert.Throws<ConfigException>(() => SamplerConfig.Read(new ConfigSection(new Dictionary<string, object?>
        {
            ["classes_per_batch"] = "5", ["images_per_class"] = "16", ["small_classes"] = "skip",
        }, "demo.yaml", "sampler"), 0));
        Assert.Equal("demo.yaml: sampler.small_classes: 'skip' is not one of: pad, drop, error", bad.Message);
        var unknown = Assert.Throws<ConfigException>(() => SamplerConfig.Read(new ConfigSection(new Dictionary<string, object?>
        {
            ["classes_per_batch"] = "5", ["image_per_class"] = "16",
        }, "demo.yaml", "sampler"), 0));
        Assert.StartsWith("demo.yaml: sampler.image_per_class: unknown key", unknown.Message);
    }

    [Fact]
    public void FashionMnistTrainingSplitSamplesFiveByEight()
    {
        // The fixture's training split (5 classes × 150) with a demo-like sampler: 5 classes × 8 per batch.
        DatasetSplits splits = FashionMnist.LoadSplits(new FashionMnistOptions { Root = FashionFixture.Root });
        var sampler = new PKSampler(splits.Train.Labels, Options(5, 8, seed: 2));
        Assert.Equal(5 * 19, sampler.ChunksPerPass); // 150 images → 19 chunks of 8 (2 padded)
        foreach (int[] batch in Draw(sampler, 50))
            Assert.Equal(new long[] { 0, 1, 2, 3, 4 }, batch.Select(p => splits.Train.Labels[p]).Distinct().Order().ToArray());
    }
}
