namespace ActorNet.Data;

/// <summary>
/// A data file that cannot be read as what it claims to be: missing, truncated, of the wrong
/// format, or with a cell that is not a number. The message always names the file and, where
/// there is one, the place: <c>path:line:column: …</c> for text (line and column 1-based, the
/// column counting fields) and <c>path: byte N: …</c> for binary files (N 0-based), so that a
/// user can open the file at the spot and fix it.
/// </summary>
public sealed class DataFormatException : Exception
{
    /// <summary>A problem with the file as a whole: <c>path: message</c>.</summary>
    public DataFormatException(string path, string message, Exception? innerException = null)
        : this(path, ": ", message, innerException)
    {
    }

    private DataFormatException(string path, string place, string message, Exception? innerException)
        : base(path + place + message, innerException) => FilePath = path;

    /// <summary>The file (or directory) the problem is in, as the caller named it.</summary>
    public string FilePath { get; }

    /// <summary>A problem at a cell of a text file: <c>path:line:column: message</c>.</summary>
    public static DataFormatException AtCell(string path, int line, int column, string message) =>
        new(path, $":{line}:{column}: ", message, null);

    /// <summary>A problem with a line of a text file as a whole: <c>path:line: message</c>.</summary>
    public static DataFormatException AtLine(string path, int line, string message) =>
        new(path, $":{line}: ", message, null);

    /// <summary>A problem at a byte offset of a binary file: <c>path: byte N: message</c>.</summary>
    public static DataFormatException AtByte(string path, long offset, string message) =>
        new(path, $": byte {offset}: ", message, null);
}
