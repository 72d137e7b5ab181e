namespace ActorNet.Model;

/// <summary>How a model file (JSON or ONNX) is written.</summary>
public static class ModelFile
{
    /// <summary>Writes <paramref name="bytes"/> beside <paramref name="path"/> first and then moves
    /// them over it, so that a crash mid-write never leaves half a model under the name and a
    /// failed write leaves any earlier file as it was. The temporary file does not outlive a
    /// failure either.</summary>
    public static void Write(string path, byte[] bytes)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        var temp = path + ".tmp";
        try
        {
            File.WriteAllBytes(temp, bytes);
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }
}
