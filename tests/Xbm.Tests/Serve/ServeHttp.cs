using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Xbm.Tests.Serve;

/// <summary>Requests for the service tests: multipart uploads, JSON, and raw request lines that no client normalises.</summary>
internal static class ServeHttp
{
    /// <summary>A multipart/form-data body with one file part.</summary>
    public static MultipartFormDataContent Upload(byte[] bytes, string field = "image", string? contentType = "image/png", string fileName = "query.png")
    {
        var content = new MultipartFormDataContent();
        var file = new ByteArrayContent(bytes);
        if (contentType is not null)
            file.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        content.Add(file, field, fileName);
        return content;
    }

    /// <summary>The response's status and JSON body.</summary>
    public static async Task<(int Status, JsonElement Json)> Json(HttpResponseMessage response)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/json",
            $"expected JSON, got {response.Content.Headers.ContentType} ({(int)response.StatusCode}): {text}");
        return ((int)response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>Asserts a JSON refusal with <paramref name="status"/> naming <paramref name="field"/>; returns its message.</summary>
    public static async Task<string> Refused(HttpResponseMessage response, int status, string field)
    {
        var (code, json) = await Json(response);
        string error = json.GetProperty("error").GetString()!;
        Assert.True(code == status, $"expected {status}, got {code}: {error}");
        Assert.Equal(field, json.GetProperty("field").GetString());
        Assert.Equal(status, json.GetProperty("status").GetInt32());
        return error;
    }

    /// <summary>Sends "GET <paramref name="target"/> HTTP/1.1" exactly as given (no dot-segment or escape handling) and returns the status and body.</summary>
    public static async Task<(int Status, string Head, string Body)> RawGet(Uri address, string target)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        using var client = new TcpClient();
        await client.ConnectAsync(address.Host, address.Port, timeout.Token);
        await using var stream = client.GetStream();
        byte[] request = Encoding.ASCII.GetBytes($"GET {target} HTTP/1.1\r\nHost: {address.Authority}\r\nConnection: close\r\n\r\n");
        await stream.WriteAsync(request, timeout.Token);
        using var received = new MemoryStream();
        await stream.CopyToAsync(received, timeout.Token);
        string text = Encoding.UTF8.GetString(received.ToArray());
        int split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(split > 0, $"no HTTP response to {target}: '{text}'");
        string head = text[..split];
        int status = int.Parse(head.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        return (status, head, text[(split + 4)..]);
    }
}
