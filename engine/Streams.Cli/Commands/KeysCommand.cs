using System.CommandLine;
using Streams.Transports.ZeroMq.Security;

namespace Streams.Cli.Commands;

/// <summary><c>streams keys NAME</c>: makes a CurveZMQ key pair for protecting coordinator-worker links.</summary>
internal static class KeysCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("name") { Description = "Base name of the files: NAME.key (public, share it) and NAME.key_secret (keep it private).", HelpName = "NAME" };
        var dir = new Option<DirectoryInfo>("--dir") { Description = "Folder to write them to.", DefaultValueFactory = _ => new DirectoryInfo("keys"), HelpName = "DIR" };
        var cmd = new Command("keys", """
            Make a CurveZMQ key pair in the ZeroMQ certificate format (pyzmq's zmq.auth reads it). Give the coordinator
            its NAME.key_secret (--curve-secret) and the workers its NAME.key (--curve-server-key); to admit only known
            workers, make a pair per worker and put their .key files in a folder for --curve-allow.
            """)
        {
            name, dir,
        };
        name.Validators.Add(r =>
        {
            var n = r.Tokens.Count == 1 ? r.Tokens[0].Value : "";
            if (NameProblem(n) is { } problem) r.AddError($"NAME '{n}' {problem}");
        });
        cmd.SetAction(parse =>
        {
            var folder = parse.GetValue(dir)!.FullName;
            try
            {
                var (pub, sec) = CurveKeys.Generate(folder, parse.GetValue(name)!);
                Console.WriteLine($"public key: {pub}");
                Console.WriteLine($"secret key: {sec} (keep private)");
                return 0;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                var why = e is UnauthorizedAccessException ? "permission denied" : File.Exists(folder) ? "it is a file, not a folder" : e.Message;
                return CliErrors.Fail($"cannot write the key pair to {folder}: {why}");
            }
        });
        return cmd;
    }

    /// <summary>Why NAME cannot be a key file's base name (it must stay inside --dir), or null.</summary>
    internal static string? NameProblem(string name)
    {
        if (name.Length == 0) return "is empty";
        if (name is "." or ".." || name.Contains('/', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal) || name.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            return "must be a plain name, without '/' or '..' (the files go in --dir)";
        }

        return name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || name.StartsWith('-') ? "is not a usable file name" : null;
    }
}
