namespace Xbm.Data.Manifest;

/// <summary>An axis-aligned box in pixel coordinates of the original image (left/top inclusive, right/bottom exclusive).</summary>
/// <param name="Left">Left edge (x of the first column).</param>
/// <param name="Top">Top edge (y of the first row).</param>
/// <param name="Right">Right edge (x past the last column).</param>
/// <param name="Bottom">Bottom edge (y past the last row).</param>
public readonly record struct BoundingBox(double Left, double Top, double Right, double Bottom)
{
    /// <summary>Width (Right − Left).</summary>
    public double Width => Right - Left;

    /// <summary>Height (Bottom − Top).</summary>
    public double Height => Bottom - Top;

    /// <summary>A box from a corner and a size (CUB's x, y, width, height).</summary>
    public static BoundingBox FromCornerAndSize(double x, double y, double width, double height) => new(x, y, x + width, y + height);

    /// <summary>True when the box has a positive area and finite coordinates.</summary>
    public bool IsValid => double.IsFinite(Left) && double.IsFinite(Top) && double.IsFinite(Right) && double.IsFinite(Bottom) && Width > 0 && Height > 0;
}
