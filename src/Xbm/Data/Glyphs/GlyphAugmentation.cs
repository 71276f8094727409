namespace Xbm.Data.Glyphs;

/// <summary>
/// The small per-image variation of the glyph benchmark, drawn from the image's own seeded sequence
/// (<see cref="GlyphRandom.ForImage"/>): the ink's size, its position and its stroke weight.
/// </summary>
public sealed record GlyphAugmentation
{
    /// <summary>The longer side of the ink box as a share of the image side, before <see cref="ScaleJitter"/> (0.8).</summary>
    public double Fill { get; init; } = 0.8;

    /// <summary>The ink box is scaled by a factor drawn from [1 - this, 1 + this] (0.08).</summary>
    public double ScaleJitter { get; init; } = 0.08;

    /// <summary>The ink centre moves by up to this share of the image side on each axis (0.06).</summary>
    public double PositionJitter { get; init; } = 0.06;

    /// <summary>An outline stroke of width drawn from [0, this share of the image side] thickens the ink (0.04).</summary>
    public double MaxStroke { get; init; } = 0.04;

    /// <summary>No variation: every glyph centred at the nominal fill.</summary>
    public static GlyphAugmentation None { get; } = new() { ScaleJitter = 0, PositionJitter = 0, MaxStroke = 0 };

    /// <summary>Checks the ranges.</summary>
    /// <exception cref="ArgumentException">A value out of range.</exception>
    public void Validate()
    {
        if (!(Fill > 0 && Fill <= 1))
            throw new ArgumentException($"glyph augmentation: fill {Fill} is out of range (0, 1]");
        if (!(ScaleJitter >= 0 && ScaleJitter < 0.5))
            throw new ArgumentException($"glyph augmentation: scale jitter {ScaleJitter} is out of range [0, 0.5)");
        if (!(PositionJitter >= 0 && PositionJitter <= 0.25))
            throw new ArgumentException($"glyph augmentation: position jitter {PositionJitter} is out of range [0, 0.25]");
        if (!(MaxStroke >= 0 && MaxStroke <= 0.2))
            throw new ArgumentException($"glyph augmentation: stroke {MaxStroke} is out of range [0, 0.2]");
    }
}
