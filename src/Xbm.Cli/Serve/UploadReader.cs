using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Xbm.Cli.Serve;

/// <summary>
/// Reads the image of an upload request: a multipart/form-data body with the file in the field "image", within
/// the size limit, of an image content type (or application/octet-stream), whose header passes
/// <see cref="ImageLimits"/>. Every refusal is an <see cref="ApiError"/> naming the field.
/// </summary>
public static class UploadReader
{
    /// <summary>The form field that carries the image.</summary>
    public const string Field = "image";

    /// <summary>Reads and checks the uploaded image bytes.</summary>
    public static async Task<byte[]> ReadAsync(HttpRequest request, ServeOptions options, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(options);
        string type = request.ContentType ?? "";
        if (!type.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            throw new ApiError(415, "content-type", $"content-type '{type}': upload the image as multipart/form-data with the file in the field '{Field}'");
        if (request.ContentLength > RequestLimit(options))
            throw TooLarge(options);
        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(new FormOptions
            {
                MultipartBodyLengthLimit = options.MaxUploadBytes,
                ValueCountLimit = 16,
                MultipartHeadersCountLimit = 16,
                BufferBodyLengthLimit = RequestLimit(options),
            }, cancel);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(options);
        }
        catch (InvalidDataException e) when (e.Message.Contains("limit", StringComparison.OrdinalIgnoreCase))
        {
            throw TooLarge(options);
        }
        catch (Exception e) when (e is InvalidDataException or BadHttpRequestException or IOException)
        {
            throw new ApiError(400, "content-type", $"the multipart/form-data body cannot be read: {e.Message}");
        }
        var file = form.Files.GetFile(Field)
            ?? throw new ApiError(400, Field, form.Files.Count == 0
                ? $"no file in the field '{Field}' (send the image as multipart/form-data, field '{Field}')"
                : $"no file in the field '{Field}' (got the field(s) {string.Join(", ", form.Files.Select(f => $"'{f.Name}'"))})");
        if (file.Length > options.MaxUploadBytes)
            throw TooLarge(options);
        string partType = file.ContentType ?? "";
        if (partType.Length > 0 && !partType.StartsWith("image/", StringComparison.OrdinalIgnoreCase)
            && !partType.StartsWith("application/octet-stream", StringComparison.OrdinalIgnoreCase))
            throw new ApiError(415, Field, $"{Field}: content type '{partType}' is not an image type (image/png, image/jpeg, ...)");
        var bytes = new byte[file.Length];
        await using (var stream = file.OpenReadStream())
            await stream.ReadExactlyAsync(bytes, cancel);
        ImageLimits.Check(bytes, options.MaxPixels, Field);
        return bytes;
    }

    /// <summary>The largest request body: the upload limit plus room for the multipart framing.</summary>
    public static long RequestLimit(ServeOptions options) => options.MaxUploadBytes + 64 * 1024;

    private static ApiError TooLarge(ServeOptions options) =>
        new(413, Field, $"{Field}: the upload is larger than the limit of {options.MaxUploadBytes} bytes ({options.MaxUploadBytes / (1024.0 * 1024.0):0.#} MB)");
}
