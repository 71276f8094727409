namespace Xbm.Data.Glyphs;

/// <summary>
/// The committed table of typefaces the glyph benchmark renders: 30 designs (36 typefaces) from 26 Debian 12 font packages.
/// Designs were counted, not files: a family's spacing variants (IPA PGothic, BIZ UDPGothic, Ume P Gothic,
/// kiloji P), regional and Mono faces (Noto CJK JP/KR/SC/TC/HK, UKai CN/HK/TW, WenQuanYi Mono/Sharp) and
/// derived fonts whose ideographs render the same (IPAex and IPAmj from IPA; AR PL KaitiM Big5/GB and cwTeX Q Kai
/// from AR PL UKai; AR PL Mingti2L Big5 from UMing; Ume Gothic C/O/S and Hy Gothic from Ume Gothic; Misaki Mincho
/// from Misaki Gothic; Klee One, from which LXGW WenKai was derived) are left out or counted once.
/// The check behind this: glyph renderings compared pairwise over 400 ideographs (identical renderings in 90 %+).
/// </summary>
public static class GlyphFonts
{
    /// <summary>Where Debian installs fonts.</summary>
    public const string DefaultRoot = "/usr/share/fonts";

    private const string Arphic = "Arphic-Public-License";
    private const string Ofl = "OFL-1.1";

    /// <summary>Every instance, in a fixed order (the order of rendering and of the manifest).</summary>
    public static IReadOnlyList<GlyphFont> All { get; } =
    [
        new("truetype/arphic/ukai.ttc", 0, "AR PL UKai", "Regular", "fonts-arphic-ukai", Arphic),
        new("truetype/arphic/uming.ttc", 0, "AR PL UMing", "Light", "fonts-arphic-uming", Arphic),
        new("truetype/arphic-gbsn00lp/gbsn00lp.ttf", 0, "AR PL SungtiL GB", "Regular", "fonts-arphic-gbsn00lp", Arphic),
        new("truetype/cwtex/cwfs.ttf", 0, "cwTeX Q Fangsong", "Medium", "fonts-cwtex-fs", "GPL-2+"),
        new("truetype/cwtex/cwheib.ttf", 0, "cwTeX Q Hei", "Bold", "fonts-cwtex-heib", "GPL-2+"),
        new("truetype/cwtex/cwming.ttf", 0, "cwTeX Q Ming", "Medium", "fonts-cwtex-ming", "GPL-2+"),
        new("truetype/cwtex/cwyen.ttf", 0, "cwTeX Q Yuan", "Medium", "fonts-cwtex-yen", "GPL-2+"),
        new("opentype/ipafont-gothic/ipag.ttf", 0, "IPA Gothic", "Regular", "fonts-ipafont-gothic", "IPA-1.0"),
        new("opentype/ipafont-mincho/ipam.ttf", 0, "IPA Mincho", "Regular", "fonts-ipafont-mincho", "IPA-1.0"),
        new("opentype/noto/NotoSansCJK-Regular.ttc", 0, "Noto Sans CJK", "Regular", "fonts-noto-cjk", Ofl),
        new("opentype/noto/NotoSansCJK-Bold.ttc", 0, "Noto Sans CJK", "Bold", "fonts-noto-cjk", Ofl),
        new("opentype/noto/NotoSerifCJK-Regular.ttc", 0, "Noto Serif CJK", "Regular", "fonts-noto-cjk", Ofl),
        new("opentype/noto/NotoSerifCJK-Bold.ttc", 0, "Noto Serif CJK", "Bold", "fonts-noto-cjk", Ofl),
        new("truetype/wqy/wqy-zenhei.ttc", 0, "WenQuanYi Zen Hei", "Medium", "fonts-wqy-zenhei", "GPL-2 with font embedding exception"),
        new("truetype/wqy/wqy-microhei.ttc", 0, "WenQuanYi Micro Hei", "Regular", "fonts-wqy-microhei", "Apache-2.0 or GPL-3+ with font exception"),
        new("truetype/hanazono/HanaMinA.ttf", 0, "Hanazono Mincho", "Regular", "fonts-hanazono", "Hanazono-Font-License or OFL-1.1"),
        new("truetype/horai-umefont/ume-tgo4.ttf", 0, "Ume Gothic", "Regular", "fonts-horai-umefont", "UmeFont"),
        new("truetype/horai-umefont/ume-tmo3.ttf", 0, "Ume Mincho", "Regular", "fonts-horai-umefont", "UmeFont"),
        new("truetype/lxgw-wenkai/LXGWWenKai-Regular.ttf", 0, "LXGW WenKai", "Regular", "fonts-lxgw-wenkai", Ofl),
        new("truetype/lxgw-wenkai/LXGWWenKai-Bold.ttf", 0, "LXGW WenKai", "Bold", "fonts-lxgw-wenkai", Ofl),
        new("truetype/bizud-gothic/BIZUDGothic-Regular.ttf", 0, "BIZ UDGothic", "Regular", "fonts-morisawa-bizud-gothic", Ofl),
        new("truetype/bizud-gothic/BIZUDGothic-Bold.ttf", 0, "BIZ UDGothic", "Bold", "fonts-morisawa-bizud-gothic", Ofl),
        new("truetype/bizud-mincho/BIZUDMincho-Regular.ttf", 0, "BIZ UDMincho", "Regular", "fonts-morisawa-bizud-mincho", Ofl),
        new("truetype/aoyagi-kouzan-t/AoyagiKouzanT.ttf", 0, "Aoyagi Kouzan T", "Regular", "fonts-aoyagi-kouzan-t", "public-domain"),
        new("truetype/aoyagi-soseki/aoyagi-soseki.ttf", 0, "Aoyagi Soseki", "Regular", "fonts-aoyagi-soseki", "public-domain"),
        new("truetype/kouzan-mouhitsu/kouzan-mouhitsu.ttf", 0, "Kouzan Brush Kaisho", "Regular", "fonts-kouzan-mouhitsu", "public-domain"),
        new("truetype/kouzan-mouhitsu/kouzan-mouhitsu-gyosho.ttf", 0, "Kouzan Brush Gyosho", "Regular", "fonts-kouzan-mouhitsu", "public-domain"),
        new("truetype/kouzan-mouhitsu/KouzanBrushFontSousyo.ttf", 0, "Kouzan Brush Sosho", "Regular", "fonts-kouzan-mouhitsu", "public-domain"),
        new("truetype/kiloji/kiloji.ttf", 0, "Kiloji", "Regular", "fonts-kiloji", "BSD-3-Clause"),
        new("truetype/kiloji/kiloji_b.ttf", 0, "Kiloji", "B", "fonts-kiloji", "BSD-3-Clause"),
        new("opentype/mplus/Mplus1-Regular.otf", 0, "M PLUS 1", "Regular", "fonts-mplus", Ofl),
        new("opentype/mplus/Mplus1-Bold.otf", 0, "M PLUS 1", "Bold", "fonts-mplus", Ofl),
        new("truetype/motoya-l-cedar/MTLc3m.ttf", 0, "Motoya L Cedar", "Regular", "fonts-motoya-l-cedar", "Apache-2.0"),
        new("truetype/motoya-l-maruberi/MTLmr3m.ttf", 0, "Motoya L Maruberi", "Regular", "fonts-motoya-l-maruberi", "Apache-2.0"),
        new("truetype/misaki/misaki_gothic.ttf", 0, "Misaki", "Regular", "fonts-misaki", "Misaki (free, original)"),
        new("truetype/dotgothic16/DotGothic16-Regular.ttf", 0, "DotGothic16", "Regular", "fonts-dotgothic16", Ofl),
    ];

    /// <summary>The Debian packages of <paramref name="fonts"/>, each once, in table order.</summary>
    public static IReadOnlyList<string> Packages(IEnumerable<GlyphFont> fonts) => fonts.Select(f => f.Package).Distinct().ToList();
}
