using System.CommandLine;
using System.Security.Cryptography;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Streams.Transports.Files;

namespace Streams.Cli.Commands;

/// <summary>
/// <c>streams inspect FILE.arrow</c>: one line per event of a file written by arrow-file-sink; <c>streams inspect
/// FILE.evio</c>: an EVIO file's summary or one event's tree; <c>streams inspect FILE.hipo</c>: a HIPO 4 file's summary,
/// or the rows of a bank (<see cref="InspectHipo"/>).
/// </summary>
internal static partial class InspectCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("file") { Description = "Arrow IPC file written by arrow-file-sink (or streams receive --out), an EVIO 4/6 file, or a HIPO 4 file.", HelpName = "FILE" };
        var digest = new Option<bool>("--digest") { Description = "Add the SHA-256 of each payload." };
        var bank = new Option<string?>("--bank") { Description = "HIPO: print the rows of this bank (e.g. REC::Particle) for each event.", HelpName = "NAME" };
        var cmd = new Command("inspect", "List the events of an Arrow event file (event number, data id, length in bytes [, SHA-256 of the payload]); summarize an EVIO file (version, byte order, records, events, compression, dictionary) or print one event's structure tree (--event N); summarize a HIPO file (records, events, compression, schemas) or print bank rows (--bank NAME [--event N]).") { file, digest, bank, EventOption };
        cmd.SetAction(parse =>
        {
            var f = parse.GetValue(file)!;
            // HIPO first: a HIPO 4 file has EVIO 6's record magic too; its file type word ("HIPO") tells them apart.
            if (IsHipo(f)) return InspectHipo(f, parse.GetValue(bank), parse.GetValue(EventOption), Console.Out, Console.Error);
            return IsEvio(f)
                ? InspectEvio(f, parse.GetValue(EventOption), Console.Out, Console.Error)
                : Inspect(f, parse.GetValue(digest), Console.Out, Console.Error);
        });
        return cmd;
    }

    internal static int Inspect(FileInfo file, bool digest, TextWriter output, TextWriter errors)
    {
        if (!file.Exists)
        {
            errors.WriteLine(Directory.Exists(file.FullName) ? $"error: {file}: is a directory" : $"error: {file}: no such file");
            return 1;
        }

        try
        {
            using var stream = file.OpenRead();
            using var reader = new ArrowFileReader(stream);
            var schema = reader.Schema;
            var dataType = schema.Metadata?.GetValueOrDefault(EventColumns.DataTypeKey) ?? "?";
            if (schema.GetFieldIndex(EventColumns.EventNumber) < 0 || schema.GetFieldIndex(EventColumns.Payload) < 0)
            {
                errors.WriteLine($"error: {file}: not an event file with raw payloads (needs '{EventColumns.EventNumber}' and '{EventColumns.Payload}' columns)");
                return 1;
            }

            output.WriteLine($"# {file.Name}: data type {dataType}");
            output.WriteLine(digest ? "# event_number data_id bytes sha256" : "# event_number data_id bytes");
            long events = 0, bytes = 0;
            while (reader.ReadNextRecordBatch() is { } rb)
            {
                using (rb)
                {
                    var num = (UInt64Array)rb.Column(EventColumns.EventNumber);
                    var id = (UInt16Array)rb.Column(EventColumns.DataId);
                    var payload = (BinaryArray)rb.Column(EventColumns.Payload);
                    for (var i = 0; i < rb.Length; i++)
                    {
                        var p = payload.GetBytes(i);
                        output.WriteLine(digest
                            ? $"{num.GetValue(i)} {id.GetValue(i)} {p.Length} {Convert.ToHexStringLower(SHA256.HashData(p))}"
                            : $"{num.GetValue(i)} {id.GetValue(i)} {p.Length}");
                        events++;
                        bytes += p.Length;
                    }
                }
            }

            output.WriteLine($"# {events} events, {bytes} payload bytes");
            return 0;
        }
        catch (UnauthorizedAccessException)
        {
            errors.WriteLine($"error: {file}: permission denied");
            return 1;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or InvalidOperationException or ArgumentException or InvalidCastException or IndexOutOfRangeException or OverflowException)
        {
            errors.WriteLine($"error: {file}: not a readable Arrow event file: {e.Message}");
            return 1;
        }
    }
}
