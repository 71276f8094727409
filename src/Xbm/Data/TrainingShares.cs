using Xbm.Configuration;

namespace Xbm.Data;

/// <summary>
/// The data keys <c>train_fraction</c> and <c>validation_fraction</c> of a folder, CSV or clip dataset, and how
/// they cut the training split. Retrieval (zero-shot) holds out the last classes for validation; the
/// classification task holds out a stratified, seeded share of each class's items instead, since the classifier
/// is validated on the classes it learns (docs/design.md §1). There, train_fraction is a share of the whole
/// training split (default: all of it not held out) and the two shares sum to at most 1.
/// </summary>
/// <param name="TrainFraction">Share of the training items kept for training.</param>
/// <param name="ValidationFraction">Share held out for validation: of the classes (retrieval) or of each class's items (classification); 0 = none.</param>
/// <param name="ByItems">Hold out items of every class (classification) rather than whole classes.</param>
public sealed record TrainingShares(double TrainFraction, double ValidationFraction, bool ByItems)
{
    /// <summary>Reads the two keys of <paramref name="data"/>; <paramref name="classification"/> selects the hold-out by items.</summary>
    public static TrainingShares Read(ConfigSection data, bool classification)
    {
        ArgumentNullException.ThrowIfNull(data);
        double validation = data.Double("validation_fraction", 0, min: 0, max: 0.9);
        double train = data.Double("train_fraction", classification ? 1 - validation : 1, min: 0, max: 1);
        if (train <= 0)
            throw data.Error("train_fraction", "must be above 0");
        if (classification && validation > 0 && train + validation > 1 + 1e-9)
            throw data.Error("train_fraction", $"{train} + validation_fraction {validation} exceed 1 (task: classification holds the validation items out of the training split)");
        return new TrainingShares(train, validation, classification);
    }
}
