using System.Diagnostics;
using System.Text.RegularExpressions;
using Xbm.Tests.Reporting;

namespace Xbm.Tests.Serve;

/// <summary>
/// The search page in headless Chromium (Debian's /usr/bin/chromium): /?item=N searches by that item once the
/// page has loaded; the dumped DOM must hold the hits with every thumbnail decoded (the page marks each result
/// image data-loaded="1" when naturalWidth > 0 and summarises them in #serve-check) and the ✓/✗ markers.
/// </summary>
[Collection(ServeCollection.Name)]
public sealed class ServePageChromiumTests(ServeFixture serve)
{
    private static async Task<string> DumpDom(Uri page)
    {
        string profile = TestPaths.NewTemporaryFolder("xbm-serve-chromium");
        try
        {
            var start = new ProcessStartInfo(ChromiumFactAttribute.Browser) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string argument in new[]
                     {
                         "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions", "--mute-audio",
                         "--no-proxy-server", $"--user-data-dir={profile}", "--virtual-time-budget=15000", "--dump-dom", page.ToString(),
                     })
                start.ArgumentList.Add(argument);
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"chromium did not finish within 90 s: {await stderr}");
            }
            string dom = await stdout;
            Assert.True(dom.Contains("</html>", StringComparison.Ordinal), $"chromium exited with {process.ExitCode} and no DOM: {await stderr}");
            return dom;
        }
        finally
        {
            Directory.Delete(profile, recursive: true);
        }
    }

    private static string Attribute(string element, string name)
    {
        var match = Regex.Match(element, $"{name}=\"([^\"]*)\"");
        Assert.True(match.Success, $"no {name} in {element}");
        return match.Groups[1].Value;
    }

    [ChromiumFact]
    public async Task ChromiumRendersTheNeighboursOfAnItemWithTheirThumbnails()
    {
        foreach (var host in new[] { serve.Torch, serve.Onnx })
        {
            const int item = 3, k = 8;
            string dom = await DumpDom(new Uri(host.Address, $"?item={item}&k={k}"));
            string check = Regex.Match(dom, "<div id=\"serve-check\"[^>]*>").Value;
            Assert.True(check.Length > 0, "no #serve-check in the page");
            Assert.Equal("yes", Attribute(check, "data-checked"));
            Assert.Equal($"{k}", Attribute(check, "data-results"));
            Assert.Equal($"{k}", Attribute(check, "data-images-loaded"));
            Assert.Equal("0", Attribute(check, "data-images-broken"));

            // The page shows what the API answers, with a ✓ or ✗ on every hit (the query's label is known).
            var (_, json) = await ServeHttp.Json(await serve.Client.GetAsync(new Uri(host.Address, $"api/search/item/{item}?k={k}")));
            var hits = json.GetProperty("hits").EnumerateArray().ToList();
            Assert.Equal(string.Join(",", hits.Select(h => h.GetProperty("id").GetInt32())), Attribute(check, "data-ids"));
            int same = hits.Count(h => h.GetProperty("sameLabel").GetBoolean());
            Assert.Equal($"{same}", Attribute(check, "data-same"));
            Assert.Equal($"{k - same}", Attribute(check, "data-other"));
            Assert.Equal(same, Regex.Matches(dom, "<span class=\"mark\">✓</span>").Count);
            Assert.Equal(k - same, Regex.Matches(dom, "<span class=\"mark\">✗</span>").Count);
            // Every result thumbnail decoded in the browser, and the index grid rendered too.
            Assert.Equal(k, Regex.Matches(dom, "<div class=\"card hit[^\"]*\"[^>]*>.{0,200}?<img[^>]*data-loaded=\"1\"", RegexOptions.Singleline).Count);
            Assert.Contains("30 items, 8 dimensions", dom);
            Assert.Equal(30, Regex.Matches(dom, "title=\"search with item \\d+\"").Count - k - 1);
        }
    }

    [ChromiumFact]
    public async Task ChromiumShowsTheErrorOfAnUnknownItem()
    {
        string dom = await DumpDom(new Uri(serve.Torch.Address, "?item=999"));
        Assert.Matches("<p id=\"error\" role=\"alert\">id '999': no such item; the index holds items 0 to 29</p>", dom);
    }
}
