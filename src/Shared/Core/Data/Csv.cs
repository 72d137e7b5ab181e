using System.Globalization;
using System.Numerics;
using ActorNet.Model;

namespace ActorNet.Data;

/// <summary>
/// Reader of delimited text: one row per line, numeric feature columns and one label column.
/// Numbers are read in the invariant culture ("1.5", "-2e-3"), never the machine's, each parsed
/// straight from its text to the nearest value of the precision asked for (<see cref="CsvOptions.Precision"/>),
/// so a float64 set holds the nearest double to "0.1", not the nearest float widened. Blank lines
/// are skipped. Errors name the file, the 1-based line and the 1-based column (field number).
/// </summary>
public static class Csv
{
    public static DataSet Load(string path, CsvOptions? options = null)
    {
        options ??= CsvOptions.Default;
        if (options.LabelColumn is not null && options.Header == CsvHeader.Absent)
            throw new ArgumentException($"the label column '{options.LabelColumn}' is named, but the options say {path} has no header", nameof(options));
        var rows = ReadRows(path, options.Separator);
        if (rows.Count == 0) throw new DataFormatException(path, "the file has no rows (empty or blank lines only)");
        var layout = Layout.Of(path, rows[0], options);
        var body = layout.HasHeader ? rows.Skip(1).ToList() : rows;
        if (body.Count == 0) throw new DataFormatException(path, $"no data rows after the header on line {rows[0].Line}");
        var name = options.Name ?? Path.GetFileNameWithoutExtension(path);
        var labels = new Cell[body.Count];
        if (options.Precision == Precision.Float64)
        {
            var x64 = ParseRows<double>(path, body, layout, labels);
            var classes64 = ClassMap.Of(path, labels, options.ClassNames);
            return DataSet.FromDoubles(name, x64, layout.Width - 1, classes64.Indices, classes64.Names.Count, classNames: classes64.Names);
        }
        var x = ParseRows<float>(path, body, layout, labels);
        var classes = ClassMap.Of(path, labels, options.ClassNames);
        return new DataSet(name, x, layout.Width - 1, classes.Indices, classes.Names.Count, classNames: classes.Names);
    }

    /// <summary>
    /// Rows of features alone, for prediction. A file whose first row has
    /// <paramref name="features"/> columns is all features; one with a column more is read as
    /// a training file, and its label column (<see cref="CsvOptions.LabelColumn"/> or
    /// <see cref="CsvOptions.LabelIndex"/> when given, else the last) is skipped without being
    /// read. A header row (detected as by <see cref="Load"/>) is skipped. Any other width is an
    /// error at the first row's line that says how many columns were expected.
    /// </summary>
    public static FeatureRows LoadFeatures(string path, int features, CsvOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(features, 1);
        options ??= CsvOptions.Default;
        var rows = ReadRows(path, options.Separator);
        if (rows.Count == 0) throw new DataFormatException(path, "the file has no rows (empty or blank lines only)");
        var first = rows[0];
        var width = first.Fields.Length;
        int? label = options.LabelColumn is not null || options.LabelIndex is not null ? Layout.LabelOf(path, first, options)
            : width == features + 1 ? width - 1 : null;
        if (width - (label is null ? 0 : 1) != features)
            throw DataFormatException.AtLine(path, first.Line, label is null
                ? $"{width} column{(width == 1 ? "" : "s")}, but the model takes {features} features (a label column may follow them, and is then ignored)"
                : $"{width} columns, of which column {label + 1} is the label, leaves {width - 1} features, but the model takes {features}");
        var hasHeader = options.LabelColumn is not null || options.Header switch
        {
            CsvHeader.Present => true,
            CsvHeader.Absent => false,
            _ => first.Fields.Where((_, c) => c != label).Any(f => !IsNumber(f)),
        };
        var body = hasHeader ? rows.Skip(1).ToList() : rows;
        if (body.Count == 0) throw new DataFormatException(path, $"no data rows after the header on line {first.Line}");

        var x = new float[body.Count * features];
        var k = 0;
        foreach (var row in body)
        {
            CheckWidth(path, row, width, first.Line);
            for (var c = 0; c < width; c++)
                if (c != label) x[k++] = ParseNumber<float>(path, row.Line, c + 1, row.Fields[c]);
        }
        return new FeatureRows(x, body.Count, features, label);
    }

    /// <summary>Row by row in file order, checks the width and parses the feature cells (every
    /// column but the label's) to T, keeping each row's label cell in <paramref name="labels"/>.
    /// → features (rows, Width − 1) row-major</summary>
    private static T[] ParseRows<T>(string path, List<Row> rows, Layout layout, Cell[] labels) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var featureCount = layout.Width - 1;
        var features = new T[rows.Count * featureCount];
        for (var r = 0; r < rows.Count; r++)
        {
            var row = rows[r];
            layout.CheckWidth(path, row);
            var k = r * featureCount;
            for (var c = 0; c < layout.Width; c++)
            {
                if (c == layout.LabelIndex) labels[r] = new Cell(row.Line, c + 1, row.Fields[c]);
                else features[k++] = ParseNumber<T>(path, row.Line, c + 1, row.Fields[c]);
            }
        }
        return features;
    }

    /// <summary>The text as the nearest T (float.Parse or double.Parse: one rounding, from the decimal digits).</summary>
    private static T ParseNumber<T>(string path, int line, int column, string text) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (text.Length == 0) throw DataFormatException.AtCell(path, line, column, "empty cell; expected a number");
        if (!T.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            throw DataFormatException.AtCell(path, line, column, $"'{text}' is not a number");
        if (!T.IsFinite(value))
            throw DataFormatException.AtCell(path, line, column, $"'{text}' is not a finite {(typeof(T) == typeof(float) ? 32 : 64)}-bit number");
        return value;
    }

    private static bool IsNumber(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value);

    private static List<Row> ReadRows(string path, char separator)
    {
        var lines = DataFile.Open(path, File.ReadAllLines);
        var rows = new List<Row>();
        for (var i = 0; i < lines.Length; i++)
            if (!string.IsNullOrWhiteSpace(lines[i])) rows.Add(new Row(i + 1, SplitFields(path, i + 1, lines[i], separator)));
        return rows;
    }

    /// <summary>Splits a line into trimmed fields; a field in double quotes may hold the
    /// separator, and "" inside it stands for one quote (RFC 4180). Quoted fields cannot span lines.</summary>
    private static string[] SplitFields(string path, int line, string text, char separator)
    {
        var fields = new List<string>();
        var i = 0;
        while (true)
        {
            while (i < text.Length && text[i] != separator && char.IsWhiteSpace(text[i])) i++;
            var field = i < text.Length && text[i] == '"'
                ? ReadQuoted(path, line, fields.Count + 1, text, separator, ref i)
                : ReadPlain(text, separator, ref i);
            fields.Add(field);
            if (i >= text.Length) return fields.ToArray();
            i++; // the separator
        }
    }

    private static string ReadPlain(string text, char separator, ref int i)
    {
        var end = text.IndexOf(separator, i);
        if (end < 0) end = text.Length;
        var field = text[i..end].Trim();
        i = end;
        return field;
    }

    private static string ReadQuoted(string path, int line, int column, string text, char separator, ref int i)
    {
        var value = new System.Text.StringBuilder();
        for (i++; ; i++)
        {
            if (i >= text.Length) throw DataFormatException.AtCell(path, line, column, "the quote that opens this field is not closed on the line");
            if (text[i] != '"') { value.Append(text[i]); continue; }
            if (i + 1 < text.Length && text[i + 1] == '"') { value.Append('"'); i++; continue; }
            break;
        }
        for (i++; i < text.Length && text[i] != separator; i++)
            if (!char.IsWhiteSpace(text[i]))
                throw DataFormatException.AtCell(path, line, column, $"'{text[i]}' after the closing quote; a quoted field ends at the separator '{separator}'");
        return value.ToString();
    }

    private sealed record Row(int Line, string[] Fields);

    private readonly record struct Cell(int Line, int Column, string Text);

    /// <summary>The columns as fixed by the first row: how many, which is the label, whether the
    /// first row is a header.</summary>
    private sealed record Layout(int Width, int LabelIndex, bool HasHeader, int FirstLine)
    {
        public static Layout Of(string path, Row first, CsvOptions options)
        {
            var width = first.Fields.Length;
            if (width < 2)
                throw DataFormatException.AtLine(path, first.Line, $"one column only (separator '{options.Separator}'); need at least one feature column and a label column");
            var label = LabelOf(path, first, options);
            var hasHeader = options.LabelColumn is not null || options.Header switch
            {
                CsvHeader.Present => true,
                CsvHeader.Absent => false,
                _ => first.Fields.Where((_, c) => c != label).Any(f => !IsNumber(f)),
            };
            return new Layout(width, label, hasHeader, first.Line);
        }

        public static int LabelOf(string path, Row first, CsvOptions options)
        {
            var width = first.Fields.Length;
            if (options.LabelColumn is { } name)
            {
                var index = Array.IndexOf(first.Fields, name);
                if (index < 0)
                    throw DataFormatException.AtLine(path, first.Line, $"no column named '{name}' in the header; the columns are: {string.Join(", ", first.Fields)}");
                return index;
            }
            var label = options.LabelIndex ?? width - 1;
            if (label < 0 || label >= width)
                throw DataFormatException.AtLine(path, first.Line, $"the label column {label} (0-based) is not among the {width} columns of the first row");
            return label;
        }

        public void CheckWidth(string path, Row row) => Csv.CheckWidth(path, row, Width, FirstLine);
    }

    /// <summary>Every row has as many cells as the first; the error names the first cell missing
    /// or extra.</summary>
    private static void CheckWidth(string path, Row row, int width, int firstLine)
    {
        if (row.Fields.Length == width) return;
        var column = Math.Min(row.Fields.Length, width) + 1;
        var what = row.Fields.Length < width ? "missing" : "extra";
        throw DataFormatException.AtCell(path, row.Line, column,
            $"{what} cell: the row has {row.Fields.Length} cells, but line {firstLine} has {width}");
    }

    /// <summary>Label texts to class indices.</summary>
    private sealed record ClassMap(int[] Indices, IReadOnlyList<string> Names)
    {
        public static ClassMap Of(string path, Cell[] labels, IReadOnlyList<string>? fixedNames)
        {
            foreach (var cell in labels)
                if (cell.Text.Length == 0) throw DataFormatException.AtCell(path, cell.Line, cell.Column, "empty label cell");
            var names = fixedNames ?? Discover(labels);
            var numeric = labels.All(c => IsNumber(c.Text)) && names.All(IsNumber);
            // Numbers match by value, so that "1.0" in a test file is the training set's class "1".
            Func<string, string> key = numeric ? t => Number(t).ToString("R", CultureInfo.InvariantCulture) : t => t;
            var index = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < names.Count; i++) index.TryAdd(key(names[i]), i);
            var y = new int[labels.Length];
            for (var r = 0; r < labels.Length; r++)
            {
                var cell = labels[r];
                y[r] = index.TryGetValue(key(cell.Text), out var k) ? k
                    : throw DataFormatException.AtCell(path, cell.Line, cell.Column,
                        $"label '{cell.Text}' is not one of the {names.Count} classes: {string.Join(", ", names)}");
            }
            return new ClassMap(y, names);
        }

        /// <summary>Distinct labels in order: numerically when all are numbers (so "10" follows
        /// "9" and "1.0" is "1"), by ordinal comparison otherwise; each named as first written.</summary>
        private static IReadOnlyList<string> Discover(Cell[] labels)
        {
            if (labels.All(c => IsNumber(c.Text)))
                return labels.GroupBy(c => Number(c.Text)).OrderBy(g => g.Key).Select(g => g.First().Text).ToArray();
            return labels.Select(c => c.Text).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        }

        private static double Number(string text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
    }
}
