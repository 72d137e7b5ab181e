namespace ActorNet.Model;

/// <summary>
/// A model file that cannot be used: missing, not JSON, or with layers that do not fit together.
/// The message is one line that starts with the file, <c>path: …</c> (<c>path:line: …</c> when
/// the JSON itself is broken), and names the layer or field at fault.
/// </summary>
public sealed class ModelFormatException : Exception
{
    public ModelFormatException(string path, string message, Exception? innerException = null)
        : base(path + ": " + message, innerException) => FilePath = path;

    private ModelFormatException(string path, int line, string message, Exception? innerException)
        : base($"{path}:{line}: {message}", innerException) => FilePath = path;

    /// <summary>The model file, as the caller named it.</summary>
    public string FilePath { get; }

    /// <summary>A problem at a line (1-based) of the file: <c>path:line: message</c>.</summary>
    public static ModelFormatException AtLine(string path, int line, string message, Exception? innerException = null) =>
        new(path, line, message, innerException);
}
