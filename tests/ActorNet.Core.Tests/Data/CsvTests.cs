using ActorNet.Data;
using ActorNet.Model;
using Xunit;

namespace ActorNet.Tests.Data;

public sealed class CsvTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private DataFormatException Fails(string text, CsvOptions? options = null, string name = "bad.csv")
    {
        var path = _dir.WriteText(name, text);
        return Assert.Throws<DataFormatException>(() => Csv.Load(path, options));
    }

    [Fact]
    public void Reads_numbers_with_the_label_last_and_no_header()
    {
        var path = _dir.WriteText("plain.csv", "1.5,2,0\n-3e-1, 4 ,1\r\n0,0,2\n\n\n");
        var data = Csv.Load(path);
        Assert.Equal("plain", data.Name);
        Assert.Equal((3, 2, 3), (data.Count, data.FeatureCount, data.Classes));
        Assert.Equal([1.5f, 2f, -0.3f, 4f, 0f, 0f], data.Features);
        Assert.Equal([0, 1, 2], data.Labels!);
        Assert.Equal(["0", "1", "2"], data.ClassNames!);
    }

    [Fact]
    public void Detects_a_header_and_finds_the_label_column_by_name()
    {
        var path = _dir.WriteText("iris.csv", "species,sepal,petal\nsetosa,5.1,1.4\nvirginica,6.3,6.0\nversicolor,5.7,4.2\nsetosa,4.9,1.5\n");
        var data = Csv.Load(path, new CsvOptions { LabelColumn = "species" });
        Assert.Equal((4, 2, 3), (data.Count, data.FeatureCount, data.Classes));
        Assert.Equal(["setosa", "versicolor", "virginica"], data.ClassNames!);
        Assert.Equal([0, 2, 1, 0], data.Labels!);
        Assert.Equal([5.1f, 1.4f], data.Row(0).ToArray());
    }

    [Fact]
    public void Label_by_index_and_an_other_separator()
    {
        var path = _dir.WriteText("semi.csv", "7;1.0;2.0\n3;3.0;4.0\n");
        var data = Csv.Load(path, new CsvOptions { Separator = ';', LabelIndex = 0 });
        Assert.Equal([1f, 2f, 3f, 4f], data.Features);
        Assert.Equal(["3", "7"], data.ClassNames!);
        Assert.Equal([1, 0], data.Labels!);
    }

    [Fact]
    public void Numeric_labels_sort_by_value_and_match_by_value()
    {
        var path = _dir.WriteText("num.csv", "0,10\n0,9\n0,9.0\n0,-1\n");
        var data = Csv.Load(path);
        Assert.Equal(["-1", "9", "10"], data.ClassNames!);
        Assert.Equal([2, 1, 1, 0], data.Labels!);
    }

    [Fact]
    public void Given_class_names_fix_the_mapping_for_a_test_file()
    {
        var path = _dir.WriteText("test.csv", "1,b\n2,b\n");
        var data = Csv.Load(path, new CsvOptions { ClassNames = ["a", "b", "c"] });
        Assert.Equal(3, data.Classes);
        Assert.Equal([1, 1], data.Labels!);
    }

    [Fact]
    public void Forced_header_and_forced_no_header()
    {
        var path = _dir.WriteText("h.csv", "1,2,0\n3,4,1\n");
        Assert.Equal(1, Csv.Load(path, new CsvOptions { Header = CsvHeader.Present }).Count);
        Assert.Equal(2, Csv.Load(path, new CsvOptions { Header = CsvHeader.Absent }).Count);
    }

    [Fact]
    public void Quoted_fields_may_hold_the_separator_and_quotes()
    {
        var path = _dir.WriteText("q.csv", "x,city\n1,\"New York, NY\"\n2,\"the \"\"Big\"\" Apple\"\n");
        var data = Csv.Load(path);
        Assert.Equal(["New York, NY", "the \"Big\" Apple"], data.ClassNames!);
    }

    [Fact]
    public void Non_numeric_cell_names_line_and_column()
    {
        var e = Fails("a,b,label\n1,2,x\n3,abc,y\n");
        Assert.Equal($"{_dir.File("bad.csv")}:3:2: 'abc' is not a number", e.Message);
    }

    [Fact]
    public void Non_numeric_cell_in_the_first_row_without_header_is_an_error_there()
    {
        var e = Fails("1,oops,0\n", new CsvOptions { Header = CsvHeader.Absent });
        Assert.Equal($"{_dir.File("bad.csv")}:1:2: 'oops' is not a number", e.Message);
    }

    [Fact]
    public void Empty_and_infinite_cells()
    {
        Assert.EndsWith(":2:1: empty cell; expected a number", Fails("1,0\n,1\n").Message);
        Assert.EndsWith(":1:1: '1e39' is not a finite 32-bit number", Fails("1e39,0\n", new CsvOptions { Header = CsvHeader.Absent }).Message);
        Assert.EndsWith(":2:2: 'Infinity' is not a finite 32-bit number", Fails("a,b,c\n1,Infinity,0\n").Message);
    }

    [Fact]
    public void A_float64_read_keeps_the_nearest_double_to_each_number_as_written()
    {
        // 0.1 and a third to 17 digits, and 2^24 + 1: none of them is a float32.
        var path = _dir.WriteText("digits.csv", "x,y,label\n0.1,0.33333333333333331,a\n16777217,-2.5e-3,b\n");
        var float64 = Csv.Load(path, new CsvOptions { Precision = Precision.Float64 });
        Assert.Equal(Precision.Float64, float64.Precision);
        Assert.Equal([0.1, 1.0 / 3, 16777217.0, -0.0025], float64.Features64);
        Assert.Equal([0, 1], float64.Labels!);
        var e = Assert.Throws<InvalidOperationException>(() => float64.Features);
        Assert.Equal("digits keeps its features in float64: use Features64 or CopyRow", e.Message);

        var float32 = Csv.Load(path); // the default, and a float32 run's: as before
        Assert.Equal(Precision.Float32, float32.Precision);
        Assert.Equal([0.1f, 1f / 3, 16777216f, -0.0025f], float32.Features);
    }

    [Fact]
    public void A_float64_read_has_the_same_clear_errors_with_float64_s_range()
    {
        var float64 = new CsvOptions { Precision = Precision.Float64 };
        Assert.Equal($"{_dir.File("bad.csv")}:3:2: 'abc' is not a number", Fails("a,b,label\n1,2,x\n3,abc,y\n", float64).Message);
        Assert.EndsWith(":2:1: empty cell; expected a number", Fails("1,0\n,1\n", float64).Message);
        Assert.EndsWith(":3:3: missing cell: the row has 2 cells, but line 1 has 3", Fails("1,2,0\n3,4,1\n5,6\n", float64).Message);
        Assert.EndsWith(":2:3: empty label cell", Fails("1,2,a\n3,4,\n", float64).Message);
        // 1e39 is past float32's range but well inside float64's; 1e309 is past both.
        var path = _dir.WriteText("big.csv", "1e39,0\n2,1\n");
        Assert.Equal([1e39, 2], Csv.Load(path, float64).Features64);
        Assert.EndsWith(":1:1: '1e309' is not a finite 64-bit number", Fails("1e309,0\n", float64 with { Header = CsvHeader.Absent }).Message);
    }

    [Fact]
    public void Ragged_rows_name_the_missing_or_extra_cell()
    {
        Assert.EndsWith(":3:3: missing cell: the row has 2 cells, but line 1 has 3", Fails("1,2,0\n3,4,1\n5,6\n").Message);
        Assert.EndsWith(":2:4: extra cell: the row has 4 cells, but line 1 has 3", Fails("1,2,0\n3,4,1,9\n").Message);
    }

    [Fact]
    public void Missing_label_column()
    {
        var e = Fails("a,b\n1,2\n", new CsvOptions { LabelColumn = "class" });
        Assert.Equal($"{_dir.File("bad.csv")}:1: no column named 'class' in the header; the columns are: a, b", e.Message);
        Assert.EndsWith(":1: the label column 5 (0-based) is not among the 2 columns of the first row", Fails("1,2\n", new CsvOptions { LabelIndex = 5 }).Message);
        Assert.EndsWith(":1: one column only (separator ','); need at least one feature column and a label column", Fails("1\n2\n").Message);
    }

    [Fact]
    public void Empty_label_and_unknown_label()
    {
        Assert.EndsWith(":2:3: empty label cell", Fails("1,2,a\n3,4,\n").Message);
        Assert.EndsWith(":1:2: label 'z' is not one of the 2 classes: a, b", Fails("1,z\n", new CsvOptions { ClassNames = ["a", "b"] }).Message);
    }

    [Fact]
    public void Unclosed_quote_and_text_after_a_quote()
    {
        Assert.EndsWith(":1:2: the quote that opens this field is not closed on the line", Fails("1,\"abc\n").Message);
        Assert.EndsWith(":1:2: 'x' after the closing quote; a quoted field ends at the separator ','", Fails("1,\"abc\"x\n").Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n  \n\n")]
    public void Empty_file(string text)
    {
        var e = Fails(text);
        Assert.Equal($"{_dir.File("bad.csv")}: the file has no rows (empty or blank lines only)", e.Message);
    }

    [Fact]
    public void Header_only()
    {
        Assert.EndsWith(": no data rows after the header on line 2", Fails("\nx,y,label\n\n").Message);
    }

    [Fact]
    public void Missing_file_names_the_path()
    {
        var missing = _dir.File("nope.csv");
        var e = Assert.Throws<DataFormatException>(() => Csv.Load(missing));
        Assert.Equal($"{missing}: no such file", e.Message);
    }

    [Fact]
    public void A_directory_instead_of_a_file_names_the_path()
    {
        var e = Assert.Throws<DataFormatException>(() => Csv.Load(_dir.PathName));
        Assert.StartsWith($"{_dir.PathName}: cannot be read", e.Message);
    }

    [Fact]
    public void A_byte_order_mark_does_not_hide_the_first_column_name()
    {
        var path = _dir.File("bom.csv");
        File.WriteAllText(path, "y,x\n1,2\n", new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        Assert.Equal([2f], Csv.Load(path, new CsvOptions { LabelColumn = "y" }).Features);
    }

    [Fact]
    public void Naming_the_label_column_of_a_file_said_to_have_no_header_is_a_usage_error()
    {
        var path = _dir.WriteText("a.csv", "1,2\n");
        Assert.Throws<ArgumentException>(() => Csv.Load(path, new CsvOptions { LabelColumn = "y", Header = CsvHeader.Absent }));
    }

    [Fact]
    public void Features_alone_with_a_header()
    {
        var path = _dir.WriteText("x.csv", "x,y\n1,2\n\n-3.5,4e1\n");
        var rows = Csv.LoadFeatures(path, 2);
        Assert.Equal((2, 2, (int?)null), (rows.Count, rows.FeatureCount, rows.SkippedColumn));
        Assert.Equal([1f, 2f, -3.5f, 40f], rows.Features);
    }

    [Fact]
    public void Features_of_a_training_file_skip_its_label_column_unread()
    {
        var last = Csv.LoadFeatures(_dir.WriteText("t.csv", "1,2,inner\n3,4,outer\n"), 2);
        Assert.Equal([1f, 2f, 3f, 4f], last.Features);
        Assert.Equal(2, last.SkippedColumn);
        var named = Csv.LoadFeatures(_dir.WriteText("n.csv", "label,a,b\n?,1,2\n"), 2, new CsvOptions { LabelColumn = "label" });
        Assert.Equal([1f, 2f], named.Features);
        Assert.Equal(0, named.SkippedColumn);
    }

    [Theory]
    [InlineData("a,b,c,d\n1,2,3,4\n", "f.csv:1: 4 columns, but the model takes 2 features (a label column may follow them, and is then ignored)")]
    [InlineData("a\n1\n", "f.csv:1: 1 column, but the model takes 2 features")]
    [InlineData("a,b\n1,2\n3,4,5\n", "f.csv:3:3: extra cell: the row has 3 cells, but line 1 has 2")]
    [InlineData("a,b\n1,2\n3\n", "f.csv:3:2: missing cell")]
    [InlineData("a,b\n1,2\n3,x7\n", "f.csv:3:2: 'x7' is not a number")]
    [InlineData("a,b,label\n1,2,0\n3,,1\n", "f.csv:3:2: empty cell; expected a number")]
    [InlineData("a,b\n", "f.csv: no data rows after the header on line 1")]
    [InlineData("\n\n", "f.csv: the file has no rows")]
    public void Features_that_do_not_fit_name_the_file_line_and_column(string text, string expected)
    {
        var path = _dir.WriteText("f.csv", text);
        var e = Assert.Throws<DataFormatException>(() => Csv.LoadFeatures(path, 2));
        Assert.StartsWith(expected, e.Message.Replace(_dir.PathName + Path.DirectorySeparatorChar, ""));
    }
}
