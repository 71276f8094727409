using System.IO.Compression;
using System.Text.Json;

namespace Xbm.Tests.Data;

/// <summary>The Fashion-MNIST subset written by tools/fixtures/make_fashion_subset.py, and temp-folder helpers.</summary>
internal static class FashionFixture
{
    public static string Root => Path.Combine(AppContext.BaseDirectory, "Fixtures", "FashionMnist");

    public const int PerClass = 150; // 120 from the training file + 30 from the test file

    private static readonly Lazy<JsonElement> Summary = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "fashion_mnist_subset.json"))).RootElement);

    /// <summary>The script's summary of one file pair ("train" or "t10k").</summary>
    public static JsonElement Part(string part) => Summary.Value.GetProperty("files").GetProperty(part);

    public static JsonElement FullTrainFile => Summary.Value.GetProperty("full_train_file");

    public static JsonElement ZeroShotTrainSplit => Summary.Value.GetProperty("full_zero_shot_train_split");

    /// <summary>A fresh temp folder, deleted on dispose.</summary>
    public sealed class TempFolder : IDisposable
    {
        public TempFolder() => Directory.CreateDirectory(Path);

        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "xbm-data-" + Guid.NewGuid().ToString("N"));

        public string File(string name) => System.IO.Path.Combine(Path, name);

        public void Dispose()
        {
            if (Directory.Exists(Path))
                Directory.Delete(Path, recursive: true);
        }
    }

    /// <summary>Decompressed contents of a fixture file (NAME.gz).</summary>
    public static byte[] Decompressed(string name)
    {
        using var file = System.IO.File.OpenRead(Path.Combine(Root, name + ".gz"));
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var buffer = new MemoryStream();
        gzip.CopyTo(buffer);
        return buffer.ToArray();
    }

    /// <summary>An IDX header (big-endian) for uint8 data with the given dimensions.</summary>
    public static byte[] Header(int magic, params int[] dims)
    {
        var header = new byte[4 + 4 * dims.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header, magic);
        for (int i = 0; i < dims.Length; i++)
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * i), dims[i]);
        return header;
    }

    /// <summary>Writes <paramref name="bytes"/> gzip-compressed.</summary>
    public static void WriteGzip(string path, byte[] bytes)
    {
        using var file = System.IO.File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        gzip.Write(bytes);
    }
}
