using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using Xbm.Data.Images;

namespace Xbm.Tests.Serve;

/// <summary>Bad uploads and parameters get a JSON 4xx naming the field; a decompression bomb is refused from its header.</summary>
[Collection(ServeCollection.Name)]
public sealed class ServeRefusalTests(ServeFixture serve)
{
    private HttpClient Client => serve.Client;

    private Uri Search => new(serve.Torch.Address, "api/search?k=3");

    private byte[] Png => File.ReadAllBytes(serve.Items[0].Path);

    [Fact]
    public async Task NotAnImageIsA400()
    {
        string error = await ServeHttp.Refused(await Client.PostAsync(Search, ServeHttp.Upload(Encoding.UTF8.GetBytes("hello, not a picture"))), 400, "image");
        Assert.Contains("not an image", error);
        var truncated = Png[..40];
        await ServeHttp.Refused(await Client.PostAsync(Search, ServeHttp.Upload(truncated)), 400, "image");
        error = await ServeHttp.Refused(await Client.PostAsync(new Uri(serve.Torch.Address, "api/embed"), ServeHttp.Upload([])), 400, "image");
        Assert.Contains("empty", error);
    }

    [Fact]
    public async Task AnUploadAboveTheLimitIsA413()
    {
        var big = new byte[11 * 1024 * 1024];
        Png.CopyTo(big, 0);
        // Above the request limit the service answers from Content-Length without reading the body; a client that
        // sends "Expect: 100-continue" (curl does for large bodies) then never sends it.
        using var request = new HttpRequestMessage(HttpMethod.Post, Search) { Content = ServeHttp.Upload(big) };
        request.Headers.ExpectContinue = true;
        string error = await ServeHttp.Refused(await Client.SendAsync(request), 413, "image");
        Assert.Contains("10485760 bytes", error);
        // Just above the upload limit, within the request limit: the form reader's limit answers.
        var justAbove = new byte[10 * 1024 * 1024 + 10];
        await ServeHttp.Refused(await Client.PostAsync(Search, ServeHttp.Upload(justAbove)), 413, "image");
        // Chunked, without a Content-Length: the limit holds while the body is read.
        var chunked = new MultipartFormDataContent();
        var part = new StreamContent(new MemoryStream(justAbove));
        part.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        chunked.Add(part, "image", "query.png");
        using var streamed = new HttpRequestMessage(HttpMethod.Post, Search) { Content = chunked };
        streamed.Headers.TransferEncodingChunked = true;
        await ServeHttp.Refused(await Client.SendAsync(streamed), 413, "image");
    }

    [Fact]
    public async Task TheWrongContentTypeIsA415()
    {
        string error = await ServeHttp.Refused(await Client.PostAsync(Search, new ByteArrayContent(Png) { Headers = { ContentType = new MediaTypeHeaderValue("image/png") } }), 415, "content-type");
        Assert.Contains("multipart/form-data", error);
        await ServeHttp.Refused(await Client.PostAsync(Search, new StringContent("{\"image\": 1}", Encoding.UTF8, "application/json")), 415, "content-type");
        error = await ServeHttp.Refused(await Client.PostAsync(Search, ServeHttp.Upload(Png, contentType: "text/plain")), 415, "image");
        Assert.Contains("text/plain", error);
    }

    [Fact]
    public async Task AMissingFileFieldIsA400()
    {
        string error = await ServeHttp.Refused(await Client.PostAsync(Search, ServeHttp.Upload(Png, field: "picture")), 400, "image");
        Assert.Contains("'picture'", error);
        var onlyText = new MultipartFormDataContent { { new StringContent("x"), "image" } };
        await ServeHttp.Refused(await Client.PostAsync(Search, onlyText), 400, "image");
    }

    [Theory]
    [InlineData("0")]
    [InlineData("101")]
    [InlineData("-1")]
    [InlineData("abc")]
    [InlineData("1.5")]
    [InlineData("")]
    [InlineData("99999999999")]
    public async Task AKOutside1To100IsA400(string k)
    {
        string error = await ServeHttp.Refused(await Client.GetAsync(new Uri(serve.Torch.Address, $"api/search/item/1?k={Uri.EscapeDataString(k)}")), 400, "k");
        Assert.Contains("from 1 to 100", error);
        await ServeHttp.Refused(await Client.PostAsync(new Uri(serve.Torch.Address, $"api/search?k={Uri.EscapeDataString(k)}"), ServeHttp.Upload(Png)), 400, "k");
    }

    [Fact]
    public async Task RepeatedKIsA400() =>
        await ServeHttp.Refused(await Client.GetAsync(new Uri(serve.Torch.Address, "api/search/item/1?k=3&k=4")), 400, "k");

    [Theory]
    [InlineData("30", 404)]
    [InlineData("4000000000", 400)]
    [InlineData("-1", 400)]
    [InlineData("1e3", 400)]
    [InlineData("+3", 400)]
    [InlineData(" 3", 400)]
    [InlineData("0x1", 400)]
    public async Task AnUnknownItemIsRefused(string id, int status)
    {
        string escaped = Uri.EscapeDataString(id);
        await ServeHttp.Refused(await Client.GetAsync(new Uri(serve.Torch.Address, $"api/thumbnail/{escaped}")), status, "id");
        await ServeHttp.Refused(await Client.GetAsync(new Uri(serve.Torch.Address, $"api/search/item/{escaped}")), status, "id");
    }

    /// <summary>A valid 1×1 PNG whose header then declares <paramref name="width"/> × <paramref name="height"/> (CRC fixed).</summary>
    internal static byte[] Bomb(int width, int height)
    {
        var png = ImageDecoder.EncodePng(new RgbImage(1, 1));
        Assert.Equal("IHDR", Encoding.ASCII.GetString(png, 12, 4));
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), width);
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), height);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), Crc32(png.AsSpan(12, 17)));
        return png;
    }

    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int i = 0; i < 8; i++)
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }

    [Fact]
    public async Task ADecompressionBombIsRefusedFromItsHeader()
    {
        var bomb = Bomb(30000, 30000);
        Assert.True(bomb.Length < 200);
        var (width, height) = ImageLimits(bomb);
        Assert.Equal((30000, 30000), (width, height)); // Skia reads the patched header

        var clock = Stopwatch.StartNew();
        foreach (string endpoint in new[] { "api/search?k=3", "api/embed" })
        {
            string error = await ServeHttp.Refused(await Client.PostAsync(new Uri(serve.Torch.Address, endpoint), ServeHttp.Upload(bomb)), 413, "image");
            Assert.Contains("30000×30000 = 900000000 pixels; the limit is 40000000", error);
        }
        // Generous for a loaded machine: decoding the bomb would take far longer (and 3.6 GB).
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"the bomb took {clock.Elapsed}");
        // Decoding it would allocate 3.6 GB of RGBA; refusing it from the header allocates next to nothing. Measured on
        // one thread around the synchronous check (an await may resume on another thread, whose count is another's).
        long before = GC.GetAllocatedBytesForCurrentThread();
        var direct = Assert.Throws<global::Xbm.Cli.Serve.ApiError>(() => global::Xbm.Cli.Serve.ImageLimits.Check(bomb, 40_000_000, "image"));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(413, direct.Status);
        Assert.InRange(allocated, 0, 50_000_000);

        // Just within the limit the header passes (and the image, here a lie, fails to decode: 400, not a crash).
        var edge = Bomb(6000, 6000);
        await ServeHttp.Refused(await Client.PostAsync(Search, ServeHttp.Upload(edge)), 400, "image");
    }

    private static (int Width, int Height) ImageLimits(byte[] bytes)
    {
        using var codec = SkiaSharp.SKCodec.Create(SkiaSharp.SKData.CreateCopy(bytes));
        return (codec.Info.Width, codec.Info.Height);
    }
}
