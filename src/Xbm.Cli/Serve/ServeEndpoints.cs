using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Xbm.Cli.Serve;

/// <summary>
/// The routes of the service: the page (<see cref="ServePage"/>) and the JSON API. Route values that name an item
/// are parsed as item numbers and nothing else (<see cref="SearchService.ParseId"/>); no route takes a path.
/// Refusals are JSON <see cref="ErrorBody"/>s with a 4xx status; every other path is a JSON 404.
/// </summary>
public static class ServeEndpoints
{
    /// <summary>k when the request gives none.</summary>
    public const int DefaultK = 10;

    /// <summary>Items per page of GET /api/items at most.</summary>
    public const int MaxItemsPage = 500;

    /// <summary>Maps every route onto <paramref name="app"/>.</summary>
    public static void Map(WebApplication app, SearchService service, ServeOptions options)
    {
        ArgumentNullException.ThrowIfNull(app);
        var log = app.Services.GetService(typeof(ILoggerFactory)) is ILoggerFactory factory ? factory.CreateLogger("xbm.serve") : null;
        app.Use(async (context, next) =>
        {
            var headers = context.Response.Headers;
            headers["X-Content-Type-Options"] = "nosniff";
            headers["Content-Security-Policy"] = "default-src 'self'; img-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
            headers["Referrer-Policy"] = "no-referrer";
            await next(context);
        });

        foreach (string path in ServePage.Paths)
            app.MapGet(path, () => ServePage.Find(path) is { } file ? Results.Bytes(file.Content, file.ContentType) : NotFound(path));

        app.MapGet("/api/health", () => Results.Json(service.Health()));
        app.MapGet("/api/items", (HttpRequest request) => Guard(log, () =>
        {
            int offset = Integer(request, "offset", 0, 0, Math.Max(0, service.Count - 1));
            int count = Integer(request, "count", 100, 1, MaxItemsPage);
            var items = Enumerable.Range(offset, Math.Min(count, service.Count - offset)).Select(service.Item).ToArray();
            return Results.Json(new ItemsView(service.Count, offset, items));
        }));
        app.MapPost("/api/embed", (HttpRequest request, CancellationToken cancel) => GuardAsync(log, async () =>
        {
            var bytes = await UploadReader.ReadAsync(request, options, cancel);
            var vector = service.Embed(bytes);
            return Results.Json(new EmbedView(vector.Length, vector));
        }));
        app.MapPost("/api/search", (HttpRequest request, CancellationToken cancel) => GuardAsync(log, async () =>
        {
            int k = ParseK(request);
            var bytes = await UploadReader.ReadAsync(request, options, cancel);
            return Results.Json(service.Search(service.Embed(bytes), k));
        }));
        app.MapGet("/api/search/item/{id}", (string id, HttpRequest request) => Guard(log, () =>
        {
            int k = ParseK(request);
            return Results.Json(service.SearchItem(service.ParseId(id), k));
        }));
        app.MapGet("/api/thumbnail/{id}", (string id, HttpResponse response) => Guard(log, () =>
        {
            var png = service.Thumbnail(service.ParseId(id));
            response.Headers.CacheControl = "private, max-age=3600";
            return Results.Bytes(png, "image/png");
        }));
        app.MapFallback("{**path}", (HttpRequest request) => NotFound(request.Path.Value ?? ""));
    }

    /// <summary>k of a search: the query parameter "k", an integer from 1 to <see cref="ServeOptions.MaxK"/>; <see cref="DefaultK"/> when absent.</summary>
    public static int ParseK(HttpRequest request) => Integer(request, "k", DefaultK, 1, ServeOptions.MaxK);

    private static int Integer(HttpRequest request, string name, int fallback, int min, int max)
    {
        var values = request.Query[name];
        if (values.Count == 0)
            return fallback;
        string given = values.Count == 1 ? values[0] ?? "" : string.Join(",", values.ToArray());
        if (values.Count > 1 || !int.TryParse(given, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
            throw new ApiError(400, name, $"{name} must be an integer from {min} to {max}, got '{(given.Length > 40 ? given[..40] + "…" : given)}'");
        return value;
    }

    private static IResult NotFound(string path) =>
        Error(new ApiError(404, "path", $"no such page or endpoint: {(path.Length > 80 ? path[..80] + "…" : path)} (the API is under /api/: health, items, embed, search, search/item/ID, thumbnail/ID)"));

    private static IResult Error(ApiError e) => Results.Json(e.Body, statusCode: e.Status);

    private static IResult Guard(ILogger? log, Func<IResult> handler)
    {
        try
        {
            return handler();
        }
        catch (ApiError e)
        {
            return Error(e);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log?.LogError(e, "request failed");
            return Results.Json(new ErrorBody("internal error (see the service's log)", "", 500), statusCode: 500);
        }
    }

    private static async Task<IResult> GuardAsync(ILogger? log, Func<Task<IResult>> handler)
    {
        try
        {
            return await handler();
        }
        catch (ApiError e)
        {
            return Error(e);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log?.LogError(e, "request failed");
            return Results.Json(new ErrorBody("internal error (see the service's log)", "", 500), statusCode: 500);
        }
    }
}
