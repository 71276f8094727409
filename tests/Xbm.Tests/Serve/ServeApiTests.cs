using System.Text.Json;
using Xbm.Cli.Serve;
using Xbm.Data.Images;
using Xbm.Inference;
using Xbm.Reporting;

namespace Xbm.Tests.Serve;

/// <summary>The JSON endpoints of `xbm serve` on a run (TorchSharp) and on its ONNX export, against the inference API.</summary>
[Collection(ServeCollection.Name)]
public sealed class ServeApiTests(ServeFixture serve)
{
    private HttpClient Client => serve.Client;

    private static float[] Floats(JsonElement array) => array.EnumerateArray().Select(v => v.GetSingle()).ToArray();

    [Fact]
    public async Task HealthNamesTheModelTheBackendAndTheIndex()
    {
        Assert.Equal("127.0.0.1", serve.Torch.Address.Host);
        Assert.NotEqual(0, serve.Torch.Address.Port);
        var (status, health) = await ServeHttp.Json(await Client.GetAsync(new Uri(serve.Torch.Address, "api/health")));
        Assert.Equal(200, status);
        Assert.Equal("torchsharp", health.GetProperty("backend").GetString());
        Assert.StartsWith(serve.Run, health.GetProperty("model").GetString());
        Assert.Equal(30, health.GetProperty("items").GetInt32());
        Assert.Equal(8, health.GetProperty("dimension").GetInt32());
        Assert.True(health.GetProperty("labelled").GetBoolean());
        var (_, onnx) = await ServeHttp.Json(await Client.GetAsync(new Uri(serve.Onnx.Address, "api/health")));
        Assert.Equal("onnxruntime", onnx.GetProperty("backend").GetString());
        Assert.Equal(serve.OnnxModel, onnx.GetProperty("model").GetString());
    }

    [Fact]
    public async Task EmbedGivesTheVectorTheIndexHoldsForTheSameFile()
    {
        using var index = EmbeddingIndex.Load(Path.Combine(serve.TorchIndex, "vectors.npy"));
        foreach (int item in new[] { 0, 17 })
        {
            var bytes = await File.ReadAllBytesAsync(serve.Items[item].Path);
            var (status, json) = await ServeHttp.Json(await Client.PostAsync(new Uri(serve.Torch.Address, "api/embed"), ServeHttp.Upload(bytes)));
            Assert.Equal(200, status);
            Assert.Equal(8, json.GetProperty("dimension").GetInt32());
            var vector = Floats(json.GetProperty("embedding"));
            var expected = index.Vector(item);
            Assert.Equal(expected.Length, vector.Length);
            for (int i = 0; i < vector.Length; i++)
                Assert.InRange(Math.Abs(vector[i] - expected[i]), 0, 1e-5);
        }
    }

    [Fact]
    public async Task SearchByUploadFindsTheFileItselfFirstWithLabelsAndThumbnails()
    {
        const int item = 12;
        var bytes = await File.ReadAllBytesAsync(serve.Items[item].Path);
        var (status, json) = await ServeHttp.Json(await Client.PostAsync(new Uri(serve.Torch.Address, "api/search?k=5"), ServeHttp.Upload(bytes, contentType: "application/octet-stream")));
        Assert.Equal(200, status);
        Assert.Equal(JsonValueKind.Null, json.GetProperty("query").ValueKind);
        var hits = json.GetProperty("hits").EnumerateArray().ToList();
        Assert.Equal(5, hits.Count);
        Assert.Equal(item, hits[0].GetProperty("id").GetInt32());
        Assert.InRange(hits[0].GetProperty("similarity").GetSingle(), 1 - 1e-5, 1 + 1e-5);
        Assert.Equal([1, 2, 3, 4, 5], hits.Select(h => h.GetProperty("rank").GetInt32()));
        var similarities = hits.Select(h => h.GetProperty("similarity").GetSingle()).ToList();
        Assert.Equal(similarities.OrderByDescending(s => s), similarities);
        foreach (var hit in hits)
        {
            int id = hit.GetProperty("id").GetInt32();
            Assert.Equal(serve.Items[id].Label, hit.GetProperty("label").GetInt64());
            Assert.Equal(Path.GetFileName(Path.GetDirectoryName(serve.Items[id].Path)), hit.GetProperty("labelName").GetString());
            Assert.Equal(JsonValueKind.Null, hit.GetProperty("sameLabel").ValueKind); // an upload has no label
            Assert.Equal($"/api/thumbnail/{id}", hit.GetProperty("thumbnail").GetString());
        }

        // The same as the inference API finds.
        using var embedder = ImageEmbedder.Load(serve.Run);
        using var index = EmbeddingIndex.Load(Path.Combine(serve.TorchIndex, "vectors.npy"));
        var expected = index.Search(embedder.EmbedFiles([serve.Items[item].Path]).Row(0), 5);
        Assert.Equal(expected.Select(h => h.Index), hits.Select(h => h.GetProperty("id").GetInt32()));
    }

    [Fact]
    public async Task SearchByItemLeavesItOutAndMarksWhoSharesItsLabel()
    {
        const int item = 3;
        var (status, json) = await ServeHttp.Json(await Client.GetAsync(new Uri(serve.Torch.Address, $"api/search/item/{item}?k=29")));
        Assert.Equal(200, status);
        var query = json.GetProperty("query");
        Assert.Equal(item, query.GetProperty("id").GetInt32());
        Assert.Equal(serve.Items[item].Label, query.GetProperty("label").GetInt64());
        var hits = json.GetProperty("hits").EnumerateArray().ToList();
        Assert.Equal(29, hits.Count); // every other item
        Assert.DoesNotContain(item, hits.Select(h => h.GetProperty("id").GetInt32()));
        foreach (var hit in hits)
            Assert.Equal(serve.Items[hit.GetProperty("id").GetInt32()].Label == serve.Items[item].Label, hit.GetProperty("sameLabel").GetBoolean());
        Assert.Equal(9, hits.Count(h => h.GetProperty("sameLabel").GetBoolean()));

        // k beyond the index: every other item, no error.
        var (_, all) = await ServeHttp.Json(await Client.GetAsync(new Uri(serve.Torch.Address, $"api/search/item/{item}?k=100")));
        Assert.Equal(29, all.GetProperty("hits").GetArrayLength());
        // Default k.
        var (_, fallback) = await ServeHttp.Json(await Client.GetAsync(new Uri(serve.Torch.Address, $"api/search/item/{item}")));
        Assert.Equal(ServeEndpoints.DefaultK, fallback.GetProperty("hits").GetArrayLength());
    }

    [Fact]
    public async Task ThumbnailsAreDownscaledPngsOfTheIndexedImages()
    {
        var response = await Client.GetAsync(new Uri(serve.Torch.Address, "api/thumbnail/7"));
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        var thumbnail = ImageDecoder.Decode(await response.Content.ReadAsByteArrayAsync(), "thumbnail");
        var original = ImageDecoder.Decode(serve.Items[7].Path);
        Assert.Equal((original.Width, original.Height), (thumbnail.Width, thumbnail.Height)); // 28×28 is below 160 px
        Assert.Equal(original.Pixels, thumbnail.Pixels);

        // A large image becomes at most 160 px on its longer side, keeping its aspect.
        string folder = TestPaths.NewTemporaryFolder("xbm-serve-large");
        try
        {
            var large = new RgbImage(400, 200, Enumerable.Range(0, 400 * 200 * 3).Select(i => (byte)(i % 251)).ToArray());
            string path = Path.Combine(folder, "large.png");
            await File.WriteAllBytesAsync(path, ImageDecoder.EncodePng(large));
            EmbeddingFiles.For(Path.Combine(folder, "vectors.npy")).Write(new EmbeddingMatrix(new float[8], 1, 8), [-1L], [path]);
            using var service = SearchService.Open(ServeFixture.Options(serve.OnnxModel, folder));
            var small = ImageDecoder.Decode(service.Thumbnail(0), "thumbnail");
            Assert.Equal((160, 80), (small.Width, small.Height));

            // An indexed image that is gone, or is not an image, is a 404 that names the item, not the path.
            string gone = Path.Combine(folder, "gone.png"), text = Path.Combine(folder, "text.png");
            await File.WriteAllTextAsync(text, "not an image");
            EmbeddingFiles.For(Path.Combine(folder, "vectors.npy")).Write(new EmbeddingMatrix(new float[16], 2, 8), [-1L, -1L], [gone, text]);
            using (var broken = SearchService.Open(ServeFixture.Options(serve.OnnxModel, folder)))
                foreach (int id in new[] { 0, 1 })
                {
                    var e404 = Assert.Throws<ApiError>(() => broken.Thumbnail(id));
                    Assert.Equal(404, e404.Status);
                    Assert.DoesNotContain(folder, e404.Message);
                }

            // An index of another dimension is refused.
            EmbeddingFiles.For(Path.Combine(folder, "vectors.npy")).Write(new EmbeddingMatrix([1f, 0f], 1, 2), [-1L], [path]);
            var e = Assert.Throws<InvalidDataException>(() => SearchService.Open(ServeFixture.Options(serve.OnnxModel, folder)));
            Assert.Contains("holds 2-dimensional vectors", e.Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task ItemsListsTheIndexInPages()
    {
        var (status, json) = await ServeHttp.Json(await Client.GetAsync(new Uri(serve.Torch.Address, "api/items?offset=25&count=10")));
        Assert.Equal(200, status);
        Assert.Equal(30, json.GetProperty("total").GetInt32());
        var items = json.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal([25, 26, 27, 28, 29], items.Select(i => i.GetProperty("id").GetInt32()));
        Assert.Equal(serve.Items[25].Label, items[0].GetProperty("label").GetInt64());
    }

    [Fact]
    public async Task TheOnnxModelFindsWhatTheRunFinds()
    {
        for (int item = 0; item < 30; item += 7)
        {
            var bytes = await File.ReadAllBytesAsync(serve.Items[item].Path);
            var (_, torch) = await ServeHttp.Json(await Client.PostAsync(new Uri(serve.Torch.Address, "api/search?k=6"), ServeHttp.Upload(bytes)));
            var (_, onnx) = await ServeHttp.Json(await Client.PostAsync(new Uri(serve.Onnx.Address, "api/search?k=6"), ServeHttp.Upload(bytes)));
            var torchHits = torch.GetProperty("hits").EnumerateArray().ToList();
            var onnxHits = onnx.GetProperty("hits").EnumerateArray().ToList();
            Assert.Equal(torchHits.Select(h => h.GetProperty("id").GetInt32()), onnxHits.Select(h => h.GetProperty("id").GetInt32()));
            foreach (var (t, o) in torchHits.Zip(onnxHits))
                Assert.InRange(Math.Abs(t.GetProperty("similarity").GetSingle() - o.GetProperty("similarity").GetSingle()), 0, 1e-5);
        }
    }

    [Fact]
    public void AnIndexOfAnotherModelIsRefusedAtStart()
    {
        var e = Assert.Throws<InvalidDataException>(() => SearchService.Open(ServeFixture.Options(serve.OnnxModel, serve.TorchIndex)));
        Assert.Contains("but --onnx is " + serve.OnnxModel, e.Message);
        var missing = Assert.Throws<FileNotFoundException>(() => SearchService.Open(ServeFixture.Options(serve.OnnxModel, Path.Combine(serve.Folder, "nowhere"))));
        Assert.Contains("no such folder", missing.Message);
        missing = Assert.Throws<FileNotFoundException>(() => SearchService.Open(ServeFixture.Options(serve.OnnxModel, Path.Combine(serve.Folder, "nowhere.npy"))));
        Assert.Contains("no such index file", missing.Message);
        Assert.Throws<ArgumentException>(() => SearchService.Open(ServeFixture.Options(serve.OnnxModel, serve.OnnxIndex) with { Port = 70000 }));
        Assert.Throws<ArgumentException>(() => SearchService.Open(ServeFixture.Options(serve.OnnxModel, serve.OnnxIndex) with { Host = "example.com" }));
    }

    [Fact]
    public async Task SixteenConcurrentSearchesGiveTheSequentialResults()
    {
        foreach (var host in new[] { serve.Torch, serve.Onnx })
        {
            var uploads = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => File.ReadAllBytesAsync(serve.Items[i * 3].Path)));
            async Task<string> Request(int i)
            {
                var response = i % 2 == 0
                    ? await Client.PostAsync(new Uri(host.Address, "api/search?k=8"), ServeHttp.Upload(uploads[i / 2]))
                    : await Client.GetAsync(new Uri(host.Address, $"api/search/item/{i}?k=8"));
                Assert.Equal(200, (int)response.StatusCode);
                var (_, json) = await ServeHttp.Json(response);
                return string.Join(";", json.GetProperty("hits").EnumerateArray().Select(h => $"{h.GetProperty("id").GetInt32()}:{h.GetProperty("similarity").GetSingle():R}"));
            }
            var sequential = new List<string>();
            for (int i = 0; i < 16; i++)
                sequential.Add(await Request(i));
            var concurrent = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(() => Request(i))));
            Assert.Equal(sequential, concurrent);
            Assert.Equal(16, sequential.Distinct().Count());
        }
    }
}
