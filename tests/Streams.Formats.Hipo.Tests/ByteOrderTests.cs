using System.Buffers.Binary;
using System.Text;

namespace Streams.Formats.Hipo.Tests;

/// <summary>
/// Files whose file and record headers and record index arrays are big endian (the magic word
/// reads 0x0001dac0), written here by a small independent writer with plain (type 0) records.
/// Event and bank contents stay little endian, as every HIPO library writes and reads them.
/// </summary>
public sealed class ByteOrderTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Swapped_headers_read_the_same_events(bool bigEndian)
    {
        var source = new HipoReader(Fixtures.Bytes("hipo4.hipo"));
        byte[][][] records = source.Records
            .Select(r => Enumerable.Range((int)r.FirstEvent, r.EventCount).Select(i => source.GetEvent(i).Data.ToArray()).ToArray())
            .ToArray();
        byte[] file = Build(bigEndian, source.Schemas, records);
        Assert.Equal(bigEndian ? (byte)0xc0 : (byte)0x00, file[28]);

        var reader = new HipoReader(file);
        Assert.Equal(bigEndian, reader.IsBigEndian);
        Assert.True(reader.HasIndex);
        Assert.Equal(source.Schemas.ToCompactStrings(), reader.Schemas.ToCompactStrings());
        Assert.Equal(source.Records.Select(r => r.EventCount), reader.Records.Select(r => r.EventCount));
        Assert.Equal(source.ReadEvents().Select(e => e.Data.ToArray()), reader.ReadEvents().Select(e => e.Data.ToArray()));
    }

    /// <summary>Writes a HIPO file with uncompressed records in the chosen header byte order.</summary>
    private static byte[] Build(bool bigEndian, SchemaDictionary schemas, byte[][][] records)
    {
        byte[][] dictionary = [.. schemas.Select(s => new HipoEventBuilder()
            .AddStructure(120, 1, 6, Encoding.ASCII.GetBytes(s.ToJson()))
            .AddStructure(120, 2, 6, Encoding.ASCII.GetBytes(s.ToCompactString())).ToArray())];
        byte[] dictionaryRecord = Record(bigEndian, dictionary);
        var output = new List<byte>(Header(bigEndian, dictionaryRecord.Length, 0));
        output.AddRange(dictionaryRecord);
        var index = new List<(long Position, int Length, int Entries)>();
        foreach (byte[][] events in records)
        {
            byte[] record = Record(bigEndian, events);
            index.Add((output.Count, record.Length, events.Length));
            output.AddRange(record);
        }
        var bank = new BankBuilder(Schema.Parse("{file::index/32111/1}{position/L,length/I,entries/I,userWordOne/L,userWordTwo/L}"), index.Count);
        for (int r = 0; r < index.Count; r++)
        {
            bank.PutLong(0, r, index[r].Position).PutInt(1, r, index[r].Length).PutInt(2, r, index[r].Entries);
        }
        long trailer = output.Count;
        output.AddRange(Record(bigEndian, [new HipoEventBuilder().AddBank(bank).ToArray()]));
        byte[] file = [.. output];
        Header(bigEndian, dictionaryRecord.Length, trailer).CopyTo(file, 0);
        return file;
    }

    private static byte[] Header(bool big, int userHeaderLength, long trailer)
    {
        var h = new byte[56];
        Put(h, 0, 0x4F504948, big);
        Put(h, 4, 1, big);
        Put(h, 8, 14, big);
        Put(h, 20, 6, big);
        Put(h, 24, userHeaderLength, big);
        Put(h, 28, unchecked((int)0xc0da0100), big);
        Put64(h, 40, trailer, big);
        return h;
    }

    private static byte[] Record(bool big, byte[][] events)
    {
        int eventBytes = events.Sum(e => e.Length);
        int data = (4 * events.Length) + eventBytes;
        int pad = (4 - (data % 4)) % 4;
        var r = new byte[56 + data + pad];
        Put(r, 0, r.Length / 4, big);
        Put(r, 8, 14, big);
        Put(r, 12, events.Length, big);
        Put(r, 16, 4 * events.Length, big);
        Put(r, 20, 6, big);
        Put(r, 28, unchecked((int)0xc0da0100), big);
        Put(r, 32, eventBytes, big);
        Put(r, 36, (data + pad) / 4, big); // compression type 0
        int at = 56 + (4 * events.Length);
        for (int i = 0; i < events.Length; i++)
        {
            Put(r, 56 + (4 * i), events[i].Length, big);
            events[i].CopyTo(r, at);
            at += events[i].Length;
        }
        return r;
    }

    private static void Put(byte[] b, int at, int value, bool big)
    {
        if (big)
        {
            BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(at), value);
        }
        else
        {
            BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(at), value);
        }
    }

    private static void Put64(byte[] b, int at, long value, bool big)
    {
        if (big)
        {
            BinaryPrimitives.WriteInt64BigEndian(b.AsSpan(at), value);
        }
        else
        {
            BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(at), value);
        }
    }
}
