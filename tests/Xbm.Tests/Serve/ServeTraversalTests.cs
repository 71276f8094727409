namespace Xbm.Tests.Serve;

/// <summary>
/// No request reads a file the service was not started with: every parameter that names an item or a thumbnail,
/// and every page path, sent raw (no client-side normalisation), is a 400 or 404 and never file contents.
/// </summary>
[Collection(ServeCollection.Name)]
public sealed class ServeTraversalTests(ServeFixture serve)
{
    private const string Secret = "xbm-serve-secret-contents";

    [Theory]
    [InlineData("/api/thumbnail/..%2F..%2Fetc%2Fpasswd")]
    [InlineData("/api/thumbnail/..%2f..%2f..%2f..%2fetc%2fpasswd")]
    [InlineData("/api/thumbnail/%2Fetc%2Fpasswd")]
    [InlineData("/api/thumbnail/../../etc/passwd")]
    [InlineData("/api/thumbnail/-1")]
    [InlineData("/api/thumbnail/30")]
    [InlineData("/api/thumbnail/2147483648")]
    [InlineData("/api/thumbnail/0%2F..%2F..%2Fsecret.txt")]
    [InlineData("/api/thumbnail/..%5C..%5Csecret.txt")]
    [InlineData("/api/thumbnail/%2e%2e%2fsecret.txt")]
    [InlineData("/api/thumbnail/0/../../secret.txt")]
    [InlineData("/api/thumbnail/secret.txt")]
    [InlineData("/api/thumbnail/%00")]
    [InlineData("/api/search/item/../x")]
    [InlineData("/api/search/item/..%2F..%2Fetc%2Fpasswd")]
    [InlineData("/api/search/item/-1?k=3")]
    [InlineData("/api/search/item/30")]
    [InlineData("/api/search/item/1%2F..%2F2")]
    [InlineData("/..%2f..%2fetc/passwd")]
    [InlineData("/../../etc/passwd")]
    [InlineData("/%2e%2e/%2e%2e/etc/passwd")]
    [InlineData("/app.js/../../etc/passwd")]
    [InlineData("/style.css%2f..%2f..%2fetc%2fpasswd")]
    [InlineData("/secret.txt")]
    [InlineData("/api/secret.txt")]
    [InlineData("//etc/passwd")]
    [InlineData("/index.html")]
    [InlineData("/Serve/Page/app.js")]
    [InlineData("/api/items?offset=-1")]
    [InlineData("/api/items?count=0")]
    [InlineData("/api/items?offset=..%2F..%2Fetc%2Fpasswd")]
    public async Task NoParameterReachesAFile(string target)
    {
        // A file next to the indexed images and one in the service's own folder: neither may come back.
        string beside = Path.Combine(Path.GetDirectoryName(serve.Items[0].Path)!, "..", "..", "secret.txt");
        await File.WriteAllTextAsync(beside, Secret);
        await File.WriteAllTextAsync(Path.Combine(AppContext.BaseDirectory, "secret.txt"), Secret);
        foreach (var host in new[] { serve.Torch, serve.Onnx })
        {
            var (status, head, body) = await ServeHttp.RawGet(host.Address, target);
            Assert.True(status is 400 or 404, $"{target}: status {status}\n{head}\n{body}");
            Assert.DoesNotContain("root:", body);
            Assert.DoesNotContain(Secret, body);
            Assert.DoesNotContain("IHDR", body);
            Assert.DoesNotContain("<html", body);
            if (body.Length > 0)
                Assert.Contains("application/json", head);
        }
    }

    [Fact]
    public async Task ThePageAndItsScriptsAreServedFromTheAssembly()
    {
        var (status, head, body) = await ServeHttp.RawGet(serve.Torch.Address, "/");
        Assert.Equal(200, status);
        Assert.Contains("text/html", head);
        Assert.Contains("Content-Security-Policy: default-src 'self'", head);
        Assert.Contains("X-Content-Type-Options: nosniff", head);
        Assert.Contains("<script src=\"/app.js\"></script>", body);
        Assert.DoesNotContain("http://", body.Replace("http://www.w3.org", "", StringComparison.Ordinal)); // no CDN
        var (jsStatus, jsHead, js) = await ServeHttp.RawGet(serve.Torch.Address, "/app.js");
        Assert.Equal(200, jsStatus);
        Assert.Contains("text/javascript", jsHead);
        Assert.Contains("serve-check", js);
        var (cssStatus, _, _) = await ServeHttp.RawGet(serve.Torch.Address, "/style.css");
        Assert.Equal(200, cssStatus);
        // Other methods do not write anything.
        using var client = new HttpClient();
        var put = await client.PutAsync(new Uri(serve.Torch.Address, "api/thumbnail/1"), new ByteArrayContent([1, 2, 3]));
        Assert.True((int)put.StatusCode is 404 or 405, $"PUT: {(int)put.StatusCode}");
        var delete = await client.DeleteAsync(new Uri(serve.Torch.Address, "api/search/item/1"));
        Assert.True((int)delete.StatusCode is 404 or 405, $"DELETE: {(int)delete.StatusCode}");
    }
}
