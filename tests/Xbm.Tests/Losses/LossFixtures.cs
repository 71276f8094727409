using System.Globalization;
using System.Text.Json;
using Xbm.Configuration;
using static TorchSharp.torch;

namespace Xbm.Tests.Losses;

/// <summary>One input set of tools/fixtures/make_loss_fixtures.py (batch or memory mode).</summary>
public sealed record FixtureInput(string Name, string Mode, int B, int M, int D, double[] Queries, double[]? Keys,
    long[] QueryLabels, long[] KeyLabels, (int Query, int Key)[] Ignore)
{
    public bool IsBatch => Mode == "batch";

    /// <summary>True when each query ignores at most one key (its own), which is what <c>ownKeys</c> expresses.</summary>
    public bool IgnoresOnlyOwnKeys => Ignore.Select(p => p.Query).Distinct().Count() == Ignore.Length;

    /// <summary>Queries as a leaf with gradient, keys (the same tensor in batch mode), labels and each query's own key (-1 for none).</summary>
    public (Tensor Queries, Tensor QueryLabels, Tensor Keys, Tensor KeyLabels, Tensor OwnKeys) Tensors(ScalarType dtype)
    {
        if (!IgnoresOnlyOwnKeys)
            throw new InvalidOperationException($"fixture input {Name} ignores more than one key per query");
        var queries = tensor(Queries, new long[] { B, D }, dtype: float64).to(dtype).requires_grad_(true);
        var keys = IsBatch ? queries : tensor(Keys!, new long[] { M, D }, dtype: float64).to(dtype);
        var own = Enumerable.Repeat(-1L, B).ToArray();
        foreach (var (q, k) in Ignore)
            own[q] = k;
        return (queries, tensor(QueryLabels, dtype: int64), keys, tensor(KeyLabels, dtype: int64), tensor(own, dtype: int64));
    }
}

/// <summary>One expected loss evaluation.</summary>
public sealed record FixtureCase(string File, int Index, string Input, JsonElement Loss, JsonElement? Miner, double Value,
    double[] Grad, long Positives, long Negatives, double? MeanPositive, double? MeanNegative)
{
    public override string ToString() => $"{File}#{Index} {Input} {Loss.GetRawText()} {Miner?.GetRawText()}";
}

/// <summary>Reads the committed JSON fixtures.</summary>
public static class LossFixtures
{
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "Fixtures", "Losses");

    private static readonly Lazy<Dictionary<string, FixtureInput>> LazyInputs = new(LoadInputs);

    public static IReadOnlyDictionary<string, FixtureInput> Inputs => LazyInputs.Value;

    public static IEnumerable<FixtureCase> Cases(string file)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, file)));
        int index = 0;
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            var miner = c.GetProperty("miner");
            yield return new FixtureCase(file, index++, c.GetProperty("input").GetString()!,
                c.GetProperty("loss").Clone(), miner.ValueKind == JsonValueKind.Null ? null : miner.Clone(),
                c.GetProperty("value").GetDouble(), Doubles(c.GetProperty("grad")),
                c.GetProperty("positives").GetInt64(), c.GetProperty("negatives").GetInt64(),
                Nullable(c.GetProperty("mean_positive")), Nullable(c.GetProperty("mean_negative")));
        }
    }

    /// <summary>A config section built from a JSON object (numbers and booleans as invariant strings).</summary>
    public static ConfigSection Section(JsonElement? element, string path) =>
        element is { } e ? new ConfigSection(ToDictionary(e), "fixture.json", path) : ConfigSection.Empty("fixture.json", path);

    public static Dictionary<string, object?> ToDictionary(JsonElement element)
    {
        var result = new Dictionary<string, object?>();
        foreach (var p in element.EnumerateObject())
            result[p.Name] = p.Value.ValueKind switch
            {
                JsonValueKind.Object => ToDictionary(p.Value),
                JsonValueKind.Number => p.Value.GetDouble().ToString("R", CultureInfo.InvariantCulture),
                JsonValueKind.True => "true",
                JsonValueKind.False => "false",
                JsonValueKind.Null => null,
                _ => p.Value.GetString(),
            };
        return result;
    }

    public static (int, int)[] Pairs(JsonElement array) =>
        array.EnumerateArray().Select(p => (p[0].GetInt32(), p[1].GetInt32())).ToArray();

    private static Dictionary<string, FixtureInput> LoadInputs()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "inputs.json")));
        var result = new Dictionary<string, FixtureInput>();
        foreach (var i in doc.RootElement.GetProperty("inputs").EnumerateArray())
        {
            var keys = i.GetProperty("keys");
            var input = new FixtureInput(i.GetProperty("name").GetString()!, i.GetProperty("mode").GetString()!,
                i.GetProperty("b").GetInt32(), i.GetProperty("m").GetInt32(), i.GetProperty("d").GetInt32(),
                Doubles(i.GetProperty("queries")), keys.ValueKind == JsonValueKind.Null ? null : Doubles(keys),
                Longs(i.GetProperty("query_labels")), Longs(i.GetProperty("key_labels")), Pairs(i.GetProperty("ignore")));
            result[input.Name] = input;
        }
        return result;
    }

    private static double[] Doubles(JsonElement a) => a.EnumerateArray().Select(x => x.GetDouble()).ToArray();

    private static long[] Longs(JsonElement a) => a.EnumerateArray().Select(x => x.GetInt64()).ToArray();

    private static double? Nullable(JsonElement e) => e.ValueKind == JsonValueKind.Null ? null : e.GetDouble();
}
