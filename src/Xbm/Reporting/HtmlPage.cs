using System.Net;
using System.Text;

namespace Xbm.Reporting;

/// <summary>
/// A self-contained HTML page built in order: headings, paragraphs, tables and images, with an inline style sheet
/// and no external resource. Images are referenced by a relative path or inlined as data: URIs. A small inline
/// script records, once the page has loaded, how many images decoded and how many tables exist in the element
/// <c>#report-check</c>, so a headless browser (tools/check_report.sh) can confirm the page renders.
/// </summary>
public sealed class HtmlPage
{
    private readonly StringBuilder _body = new();
    private readonly string _title;

    /// <summary>Starts a page titled <paramref name="title"/>.</summary>
    public HtmlPage(string title) => _title = title;

    /// <summary>Number of images added.</summary>
    public int ImageCount { get; private set; }

    /// <summary>Number of tables added.</summary>
    public int TableCount { get; private set; }

    /// <summary>Escapes text for HTML.</summary>
    public static string Encode(string text) => WebUtility.HtmlEncode(text);

    /// <summary>Adds a heading of <paramref name="level"/> (1–4) with an optional anchor id.</summary>
    public HtmlPage Heading(int level, string text, string? id = null)
    {
        level = Math.Clamp(level, 1, 4);
        _body.Append($"<h{level}{(id is null ? "" : $" id=\"{Encode(id)}\"")}>{Encode(text)}</h{level}>\n");
        return this;
    }

    /// <summary>Adds a paragraph of plain text.</summary>
    public HtmlPage Paragraph(string text, string? cssClass = null)
    {
        _body.Append($"<p{(cssClass is null ? "" : $" class=\"{cssClass}\"")}>{Encode(text)}</p>\n");
        return this;
    }

    /// <summary>Adds a table; cells are plain text, right-aligned when <paramref name="numeric"/> says so for the column.</summary>
    public HtmlPage Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows, string? caption = null, Func<int, bool>? numeric = null, string? id = null)
    {
        TableCount++;
        _body.Append($"<table{(id is null ? "" : $" id=\"{Encode(id)}\"")}>");
        if (caption is not null)
            _body.Append("<caption>").Append(Encode(caption)).Append("</caption>");
        _body.Append("<thead><tr>");
        foreach (string h in header)
            _body.Append("<th>").Append(Encode(h)).Append("</th>");
        _body.Append("</tr></thead>\n<tbody>\n");
        foreach (var row in rows)
        {
            _body.Append("<tr>");
            for (int i = 0; i < row.Count; i++)
                _body.Append(numeric?.Invoke(i) == true ? "<td class=\"num\">" : "<td>").Append(Encode(row[i])).Append("</td>");
            _body.Append("</tr>\n");
        }
        _body.Append("</tbody></table>\n");
        return this;
    }

    /// <summary>Adds an image with a caption; <paramref name="source"/> is a relative path or a data: URI.</summary>
    public HtmlPage Image(string source, string alt, string? caption = null)
    {
        ImageCount++;
        _body.Append("<figure><img src=\"").Append(Encode(source)).Append("\" alt=\"").Append(Encode(alt)).Append("\">");
        if (caption is not null)
            _body.Append("<figcaption>").Append(Encode(caption)).Append("</figcaption>");
        _body.Append("</figure>\n");
        return this;
    }

    /// <summary>Adds a collapsible block of preformatted text.</summary>
    public HtmlPage Details(string summary, string text)
    {
        _body.Append("<details><summary>").Append(Encode(summary)).Append("</summary><pre>").Append(Encode(text)).Append("</pre></details>\n");
        return this;
    }

    /// <summary>Opens a block of figures shown side by side.</summary>
    public HtmlPage BeginGallery()
    {
        _body.Append("<div class=\"gallery\">\n");
        return this;
    }

    /// <summary>Closes a block opened by <see cref="BeginGallery"/>.</summary>
    public HtmlPage EndGallery()
    {
        _body.Append("</div>\n");
        return this;
    }

    /// <summary>The complete document.</summary>
    public string Render()
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        html.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        html.Append("<title>").Append(Encode(_title)).Append("</title>\n<style>\n").Append(Style).Append("</style>\n</head>\n<body>\n");
        html.Append("<h1>").Append(Encode(_title)).Append("</h1>\n");
        html.Append(_body);
        html.Append($"<div id=\"report-check\" data-expected-images=\"{ImageCount}\" data-expected-tables=\"{TableCount}\" hidden></div>\n");
        html.Append("<script>\n").Append(CheckScript).Append("</script>\n</body>\n</html>\n");
        return html.ToString();
    }

    private const string Style = """
        body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1400px; padding: 0 1em; color: #222; }
        h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
        table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
        caption { text-align: left; font-weight: bold; padding: 0.3em 0; }
        th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
        th { background: #f0f0f0; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
        tr:nth-child(even) td { background: #fafafa; }
        figure { display: inline-block; margin: 0.5em 1em 1em 0; vertical-align: top; }
        figure img { max-width: 100%; border: 1px solid #ddd; }
        figcaption { font-size: 0.85em; color: #555; max-width: 800px; }
        .gallery figure img { width: 640px; }
        .note { color: #555; font-style: italic; }
        pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; }

        """;

    private const string CheckScript = """
        window.addEventListener('load', function () {
          var loaded = 0, broken = 0;
          for (var i = 0; i < document.images.length; i++) {
            var image = document.images[i];
            if (image.complete && image.naturalWidth > 0) loaded++; else broken++;
          }
          var check = document.getElementById('report-check');
          check.setAttribute('data-images-loaded', loaded);
          check.setAttribute('data-images-broken', broken);
          check.setAttribute('data-tables', document.querySelectorAll('table').length);
          check.setAttribute('data-checked', 'yes');
        });

        """;
}
