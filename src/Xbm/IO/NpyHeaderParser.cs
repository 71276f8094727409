using System.Globalization;
using System.Text;

namespace Xbm.IO;

/// <summary>
/// Parses the Python dictionary literal in a .npy header, e.g.
/// <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (3, 4), }</c>: exactly the keys descr, fortran_order and
/// shape; strings in single or double quotes, True/False, and a tuple of non-negative integers.
/// </summary>
internal sealed class NpyHeaderParser
{
    private readonly string _text;
    private readonly string _path;
    private int _at;

    private NpyHeaderParser(string text, string path)
    {
        _text = text;
        _path = path;
    }

    /// <summary>Parses <paramref name="text"/>; errors name <paramref name="path"/>.</summary>
    public static (string Descr, bool FortranOrder, long[] Shape) Parse(string text, string path)
    {
        var parser = new NpyHeaderParser(text, path);
        return parser.ParseDictionary();
    }

    private (string, bool, long[]) ParseDictionary()
    {
        string? descr = null;
        bool? fortran = null;
        long[]? shape = null;
        Expect('{');
        while (true)
        {
            SkipSpace();
            if (Peek() == '}')
            {
                _at++;
                break;
            }
            string key = ParseString();
            Expect(':');
            switch (key)
            {
                case "descr" when descr is null:
                    SkipSpace();
                    if (Peek() != '\'' && Peek() != '"')
                        throw Error("'descr' must be a simple type string such as '<f4' (structured dtypes are not supported)");
                    descr = ParseString();
                    break;
                case "fortran_order" when fortran is null:
                    fortran = ParseBool();
                    break;
                case "shape" when shape is null:
                    shape = ParseShape();
                    break;
                case "descr" or "fortran_order" or "shape":
                    throw Error($"the key '{key}' appears twice");
                default:
                    throw Error($"unexpected key '{key}' (a .npy header has exactly descr, fortran_order and shape)");
            }
            SkipSpace();
            if (Peek() == ',')
                _at++;
            else if (Peek() != '}')
                throw Error($"expected ',' or '}}' at character {_at}");
        }
        SkipSpace();
        if (_at != _text.Length)
            throw Error($"unexpected text after the dictionary at character {_at}");
        if (descr is null || fortran is null || shape is null)
            throw Error("the header lacks " + string.Join(", ", new[] { descr is null ? "descr" : null, fortran is null ? "fortran_order" : null, shape is null ? "shape" : null }.Where(k => k != null)));
        return (descr, fortran.Value, shape);
    }

    private string ParseString()
    {
        SkipSpace();
        char quote = Peek();
        if (quote != '\'' && quote != '"')
            throw Error($"expected a quoted string at character {_at}");
        int end = _text.IndexOf(quote, _at + 1);
        if (end < 0)
            throw Error($"unterminated string at character {_at}");
        string value = _text[(_at + 1)..end];
        _at = end + 1;
        return value;
    }

    private bool ParseBool()
    {
        SkipSpace();
        foreach (var (word, value) in new[] { ("True", true), ("False", false) })
        {
            if (string.CompareOrdinal(_text, _at, word, 0, word.Length) == 0)
            {
                _at += word.Length;
                return value;
            }
        }
        throw Error($"'fortran_order' must be True or False (character {_at})");
    }

    private long[] ParseShape()
    {
        Expect('(');
        var dims = new List<long>();
        while (true)
        {
            SkipSpace();
            if (Peek() == ')')
            {
                _at++;
                return dims.ToArray();
            }
            var digits = new StringBuilder();
            while (_at < _text.Length && char.IsAsciiDigit(_text[_at]))
                digits.Append(_text[_at++]);
            if (digits.Length == 0)
                throw Error($"'shape' must be a tuple of non-negative integers (character {_at})");
            if (_at < _text.Length && _text[_at] is 'L' or 'l')
                _at++; // Python 2 long literal
            if (!long.TryParse(digits.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out long dim))
                throw Error($"dimension {digits} is too large");
            dims.Add(dim);
            SkipSpace();
            if (Peek() == ',')
                _at++;
            else if (Peek() != ')')
                throw Error($"expected ',' or ')' in 'shape' at character {_at}");
        }
    }

    private void Expect(char c)
    {
        SkipSpace();
        if (Peek() != c)
            throw Error($"expected '{c}' at character {_at}");
        _at++;
    }

    private char Peek() => _at < _text.Length ? _text[_at] : '\0';

    private void SkipSpace()
    {
        while (_at < _text.Length && char.IsWhiteSpace(_text[_at]))
            _at++;
    }

    private InvalidDataException Error(string what) => new($"{_path}: bad .npy header: {what}: {_text.TrimEnd()}");
}
