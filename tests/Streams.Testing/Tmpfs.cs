namespace Streams.TestKit;

/// <summary>
/// A real tmpfs mounted for one test (a tiny one to fill up, or a read-only one): the kernel's own ENOSPC and EROFS,
/// not a stand-in. Needs root (the test suite runs as root, as CI does); says so plainly otherwise.
/// </summary>
public sealed class Tmpfs : IDisposable
{
    private Tmpfs(string path) => Path = path;

    public string Path { get; }

    /// <summary>Mounts a tmpfs of <paramref name="sizeKiB"/> KiB, read-only when <paramref name="readOnly"/>.</summary>
    public static Tmpfs Mount(int sizeKiB, bool readOnly = false)
    {
        if (geteuid() != 0)
        {
            Assert.Fail("this test mounts a tmpfs and needs root (run the suite as root, as tests/run-all.sh and CI do)");
        }

        var path = Directory.CreateTempSubdirectory("streams-tmpfs-").FullName;
        Run("mount", "-t", "tmpfs", "-o", $"size={sizeKiB}k{(readOnly ? ",ro" : "")}", "tmpfs", path);
        return new Tmpfs(path);
    }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        Run("umount", "-l", Path);
        Directory.Delete(Path);
    }

    private static void Run(string file, params string[] args)
    {
        using var p = ChildProcess.Start(file, args);
        var code = p.Wait(60);
        Assert.True(code == 0, $"{file} {string.Join(' ', args)} failed: {p.Stderr}");
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = false)]
    private static extern uint geteuid();
}
