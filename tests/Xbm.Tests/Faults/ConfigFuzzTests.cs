using Xbm.Cli;
using Xbm.Configuration;
using Xbm.Tests.Data;
using Xbm.Training;
using Xunit.Abstractions;

namespace Xbm.Tests.Faults;

/// <summary>
/// Issue 7's config fuzzing: every leaf of a valid config replaced by wrong types and out-of-range values, and
/// random edits of the YAML text. Building the run must either succeed or fail with a user error (the CLI's
/// "error: ..." path, never a stack trace) whose message names the file and the key.
/// </summary>
public sealed class ConfigFuzzTests(ITestOutputHelper output) : IDisposable
{
    private readonly FashionFixture.TempFolder _temp = new();

    public void Dispose()
    {
        TorchSharp.torch.set_num_threads(1);
        _temp.Dispose();
    }

    private static string Valid => $"""
        name: fuzz
        seed: 1
        threads: 1
        iterations: 50
        data:
          dataset: fashion_mnist
          root: "{FashionFixture.Root}"
          max_per_class: 12
          validation_classes: [2, 4]
        model:
          backbone: small_cnn
          dimension: 8
          width: 4
        sampler:
          classes_per_batch: 2
          images_per_class: 4
          small_classes: pad
          prefetch: 2
        loss:
          name: contrastive
          margin: 0.5
          reduction: sum_per_query
        optimizer:
          name: adam
          lr: 0.001
          weight_decay: 0
        schedule:
          kind: cosine
          warmup_iterations: 5
        memory:
          kind: fifo
          size: 40
          start_iteration: 10
          weight: 1.0
          init: none
        evaluation:
          every: 10
          on: validation
        checkpoint:
          every: 10
          keep: 2
        logging:
          every: 5
          tensorboard: false
        """;

    private static readonly string[] BadValues = ["abc", "-1", "0", "1e12", "-1e12", "[1, 2]", "{a: 1}", "~", "''", "1.5", "true", "NaN"];

    /// <summary>Builds the run; returns null on success, else the user-error message (fails the test on a crash).</summary>
    private string? Build(string yaml, IEnumerable<string> overrides, string what)
    {
        string folder = Path.Combine(_temp.Path, "run-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var config = ConfigLoader.Parse(yaml, "fuzz.yaml", overrides);
            using var run = TrainingRun.Create(config, folder);
            return null;
        }
        catch (Exception e)
        {
            string? message = CliApp.UserError(e);
            Assert.True(message is not null, $"{what}: a crash, not a user error: {e}");
            return message;
        }
        finally
        {
            TorchSharp.torch.set_num_threads(1);
        }
    }

    private static IEnumerable<string> Leaves(IEnumerable<KeyValuePair<string, object?>> tree, string prefix = "")
    {
        foreach (var (key, value) in tree)
        {
            string path = prefix.Length == 0 ? key : $"{prefix}.{key}";
            if (value is IDictionary<string, object?> sub)
                foreach (string leaf in Leaves(sub, path))
                    yield return leaf;
            else
                yield return path;
        }
    }

    [Fact]
    public void WrongTypesAndOutOfRangeValuesNameTheKey()
    {
        Assert.Null(Build(Valid, [], "the valid config"));
        var leaves = Leaves(ConfigLoader.Parse(Valid, "fuzz.yaml").Values).Where(l => l != "name").ToList();
        int tried = 0, rejected = 0;
        foreach (string leaf in leaves)
            foreach (string value in BadValues)
            {
                tried++;
                string? message = Build(Valid, [$"{leaf}={value}"], $"{leaf}={value}");
                if (message is null)
                {
                    output.WriteLine($"accepted: {leaf}={value}");
                    continue;
                }
                rejected++;
                string key = leaf.Split('.')[^1];
                Assert.True(message.Contains("fuzz.yaml", StringComparison.Ordinal) && message.Contains(key, StringComparison.Ordinal),
                    $"{leaf}={value}: the message does not name the file and key: {message}");
            }
        output.WriteLine($"{tried} bad values tried on {leaves.Count} keys, {rejected} rejected with a message naming the key");
        Assert.True(rejected > tried / 2);
    }

    [Fact]
    public void RandomEditsOfTheYamlNeverCrash()
    {
        var random = new Random(7);
        string valid = Valid;
        const string alphabet = ":-[]{}#&*!|>'\"%@`,? \n\tabc019.~";
        int tried = 0, rejected = 0;
        for (int i = 0; i < 300; i++)
        {
            var text = new System.Text.StringBuilder(valid);
            for (int edit = random.Next(1, 4); edit > 0; edit--)
            {
                int at = random.Next(text.Length);
                switch (random.Next(3))
                {
                    case 0: text.Remove(at, Math.Min(random.Next(1, 6), text.Length - at)); break;
                    case 1: text.Insert(at, alphabet[random.Next(alphabet.Length)]); break;
                    default: text[at] = alphabet[random.Next(alphabet.Length)]; break;
                }
            }
            tried++;
            if (Build(text.ToString(), [], $"edit {i}:\n{text}") is { } message)
            {
                rejected++;
                Assert.False(string.IsNullOrWhiteSpace(message));
            }
        }
        output.WriteLine($"{tried} random edits, {rejected} rejected with a message");
    }
}
