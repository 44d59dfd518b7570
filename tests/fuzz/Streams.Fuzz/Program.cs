using System.Diagnostics;
using SharpFuzz;
using Streams.Fuzz.Targets;

// Streams.Fuzz TARGET                      run under afl-fuzz (SharpFuzz out-of-process server)
// Streams.Fuzz replay TARGET FILE|DIR...   run inputs in-process; prints one line each; exit 1 if any broke an invariant
// Streams.Fuzz seeds TARGET DIR            write the generated seeds of TARGET into DIR
// Streams.Fuzz list                        the targets and the assemblies to instrument for each
if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.Error.WriteLine("usage: Streams.Fuzz TARGET | replay TARGET FILE|DIR... | seeds TARGET DIR | list");
    Console.Error.WriteLine($"targets: {string.Join(", ", FuzzTargets.All.Keys)}");
    return 2;
}

if (args[0] == "list")
{
    foreach (var (name, dlls) in FuzzTargets.Instrumented) Console.WriteLine($"{name} {string.Join(' ', dlls)}");
    return 0;
}

if (args[0] is "replay" or "seeds")
{
    if (args.Length < 3 || !FuzzTargets.All.TryGetValue(args[1], out var t))
    {
        Console.Error.WriteLine($"usage: Streams.Fuzz {args[0]} TARGET ...; targets: {string.Join(", ", FuzzTargets.All.Keys)}");
        return 2;
    }

    if (args[0] == "seeds")
    {
        Directory.CreateDirectory(args[2]);
        foreach (var (name, data) in Seeds.For(args[1]))
        {
            t(data); // a seed must pass its own harness
            File.WriteAllBytes(Path.Combine(args[2], name), data);
        }

        return 0;
    }

    var files = args.Skip(2).SelectMany(a => Directory.Exists(a) ? Directory.GetFiles(a) : [a]).Order(StringComparer.Ordinal).ToList();
    var broken = 0;
    foreach (var file in files)
    {
        var sw = Stopwatch.StartNew();
        try
        {
            t(File.ReadAllBytes(file));
            Console.WriteLine($"ok   {sw.Elapsed.TotalMilliseconds,8:F1} ms  {file}");
        }
        catch (Exception e)
        {
            broken++;
            Console.WriteLine($"FAIL {sw.Elapsed.TotalMilliseconds,8:F1} ms  {file}: {e.GetType().Name}: {e.Message}");
            Console.WriteLine(e.InnerException?.ToString() ?? e.StackTrace);
        }
    }

    Console.WriteLine($"{files.Count} input(s), {broken} broken");
    return broken == 0 ? 0 : 1;
}

if (!FuzzTargets.All.TryGetValue(args[0], out var target))
{
    Console.Error.WriteLine($"unknown target '{args[0]}'; targets: {string.Join(", ", FuzzTargets.All.Keys)}");
    return 2;
}

Fuzzer.OutOfProcess.Run(stream =>
{
    using var ms = new MemoryStream();
    stream.CopyTo(ms);
    target(ms.GetBuffer().AsSpan(0, (int)ms.Length));
});
return 0;
