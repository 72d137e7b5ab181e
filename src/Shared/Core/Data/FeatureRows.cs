namespace ActorNet.Data;

/// <summary>Inputs without labels, as <see cref="Csv.LoadFeatures"/> reads them for prediction.</summary>
/// <param name="Features">(Count, FeatureCount) row-major, unscaled</param>
/// <param name="SkippedColumn">the 0-based column read as a label and skipped; null when every
/// column is a feature</param>
public sealed record FeatureRows(float[] Features, int Count, int FeatureCount, int? SkippedColumn);
