using System.CommandLine;
using Streams.Transports.ZeroMq.Security;

namespace Streams.Cli.Commands;

/// <summary><c>streams keys NAME</c>: makes a CurveZMQ key pair for protecting coordinator-worker links.</summary>
internal static class KeysCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("name") { Description = "Base name of the files: NAME.key (public, share it) and NAME.key_secret (keep it private)." };
        var dir = new Option<DirectoryInfo>("--dir") { Description = "Folder to write them to.", DefaultValueFactory = _ => new DirectoryInfo("keys"), HelpName = "DIR" };
        var cmd = new Command("keys", """
            Make a CurveZMQ key pair in the ZeroMQ certificate format (pyzmq's zmq.auth reads it). Give the coordinator
            its NAME.key_secret (--curve-secret) and the workers its NAME.key (--curve-server-key); to admit only known
            workers, make a pair per worker and put their .key files in a folder for --curve-allow.
            """)
        {
            name, dir,
        };
        cmd.SetAction(parse =>
        {
            var (pub, sec) = CurveKeys.Generate(parse.GetValue(dir)!.FullName, parse.GetValue(name)!);
            Console.WriteLine($"public key: {pub}");
            Console.WriteLine($"secret key: {sec} (keep private)");
            return 0;
        });
        return cmd;
    }
}
