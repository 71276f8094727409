using System.Text.Json;
using Xbm.Miners;
using Xbm.Tests.Losses;
using static TorchSharp.torch;

namespace Xbm.Tests.Miners;

/// <summary>Every miner against the brute-force reference of tools/fixtures/make_loss_fixtures.py (exact pairs).</summary>
public class MinerFixtureTests
{
    public static TheoryData<int> Cases()
    {
        var data = new TheoryData<int>();
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(LossFixtures.Folder, "miners.json")));
        var cases = doc.RootElement.GetProperty("cases");
        for (int i = 0; i < cases.GetArrayLength(); i++)
            data.Add(i);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SelectsTheReferencePairs(int index)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(LossFixtures.Folder, "miners.json")));
        var c = doc.RootElement.GetProperty("cases")[index];
        var input = LossFixtures.Inputs[c.GetProperty("input").GetString()!];
        using var scope = NewDisposeScope();
        var (queries, queryLabels, keys, keyLabels, ownKeys) = input.Tensors(float64);
        var miner = MinerFactory.Create(LossFixtures.Section(c.GetProperty("miner"), "miner"))!;

        using var pairs = miner.MinePairs(queries, queryLabels, keys, keyLabels, ownKeys);
        Assert.Equal(LossFixtures.Pairs(c.GetProperty("positives")).Select(p => ((long)p.Item1, (long)p.Item2)), pairs.PositiveList);
        Assert.Equal(LossFixtures.Pairs(c.GetProperty("negatives")).Select(p => ((long)p.Item1, (long)p.Item2)), pairs.NegativeList);

        // The mask form agrees with the index pairs and is in the keys' frame (B×M).
        var mask = miner.Mine(queries, queryLabels, keys, keyLabels, ownKeys);
        Assert.Equal(new[] { (long)input.B, input.M }, mask.shape);
        Assert.Equal(pairs.PositiveList.Count + pairs.NegativeList.Count, mask.count_nonzero().item<long>());
        Assert.False(mask.logical_and(PairTestData.OwnKeyMask(ownKeys, input.M)).any().item<bool>());
    }
}
