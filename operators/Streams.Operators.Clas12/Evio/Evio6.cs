using System.Buffers;
using Streams.Formats.Evio;

namespace Streams.Operators.Clas12.Evio;

/// <summary>A malformed EVIO event: what is wrong and at which byte.</summary>
internal sealed class EvioException(string message) : Exception(message)
{
    public EvioException()
        : this("malformed EVIO event")
    {
    }

    public EvioException(string message, Exception inner)
        : this(message + ": " + inner.Message)
    {
    }
}

/// <summary>
/// CLAS12-like events as EVIO banks, written with <see cref="EvioBuilder"/> (big-endian) and read with
/// <see cref="EvioNode"/> (either byte order): an event is a bank of banks (type 0x10, tag 1) holding a DC bank (tag
/// 0x0D01, uint32: one word per hit = sector-1 (3) | layer-1 (6) | wire-1 (7) | TDC (16)), an EC bank (tag 0x0EC1,
/// uint32: two words per strip = sector-1 (3) | view (2) | strip-1 (7) | ADC (20), then TDC) and a truth bank (tag
/// 0xFF01, float32, num = particles, six floats each: charge, p, tx, ty, sector, in-acceptance).
/// </summary>
public static class Evio6
{
    public const ushort EventTag = 1;
    public const ushort DcTag = 0x0D01;
    public const ushort EcTag = 0x0EC1;
    public const ushort TruthTag = 0xFF01;
    public const byte TypeUInt32 = 0x01;
    public const byte TypeFloat32 = 0x02;
    public const byte TypeBankOfBanks = 0x10;
    public const byte TypeBankOfBanksAlt = 0x0E;
    private const int TruthFloats = 6;

    [ThreadStatic]
    private static EvioBuilder? t_builder;

    [ThreadStatic]
    private static byte[]? t_copy;

    /// <summary>Bytes <see cref="Write"/> needs for an event.</summary>
    public static int SizeOf(EvioEvent ev)
    {
        ArgumentNullException.ThrowIfNull(ev);
        return 4 * (2 + (2 + ev.DcHits.Count) + (2 + (2 * ev.EcStrips.Count)) + (2 + (TruthFloats * ev.Truth.Count)));
    }

    public static int Header(ushort tag, byte type, byte num) => (tag << 16) | ((type & 0x3F) << 8) | num;

    /// <summary>Encodes <paramref name="ev"/> (big-endian) into <paramref name="destination"/>; returns the bytes written.</summary>
    public static int Write(EvioEvent ev, Span<byte> destination)
    {
        var size = SizeOf(ev);
        if (destination.Length < size) throw new ArgumentException($"need {size} bytes", nameof(destination));
        var b = Build(ev);
        b.WrittenSpan.CopyTo(destination);
        return b.WrittenSpan.Length;
    }

    /// <summary>The builder holding <paramref name="ev"/> as one closed event bank (this thread's, reused).</summary>
    public static EvioBuilder Build(EvioEvent ev)
    {
        ArgumentNullException.ThrowIfNull(ev);
        var b = t_builder ??= new EvioBuilder(bigEndian: true);
        b.Reset();
        var words = ArrayPool<uint>.Shared.Rent(Math.Max(TruthFloats * ev.Truth.Count, Math.Max(ev.DcHits.Count, 2 * ev.EcStrips.Count)) + 1);
        try
        {
            b.OpenBank(EventTag, EvioDataType.Bank, 0);
            var n = 0;
            foreach (var h in ev.DcHits) words[n++] = (uint)(((h.Sector - 1) << 29) | ((h.Layer - 1) << 23) | ((h.Wire - 1) << 16) | h.Tdc);
            b.OpenBank(DcTag, EvioDataType.UInt32, 0).Add(words.AsSpan(0, n)).Close();
            n = 0;
            foreach (var s in ev.EcStrips)
            {
                words[n++] = (uint)(((s.Sector - 1) << 29) | (s.View << 27) | ((s.Strip - 1) << 20) | (s.Adc & 0xFFFFF));
                words[n++] = (uint)s.Tdc;
            }

            b.OpenBank(EcTag, EvioDataType.UInt32, 0).Add(words.AsSpan(0, n)).Close();
            var floats = System.Runtime.InteropServices.MemoryMarshal.Cast<uint, float>(words.AsSpan());
            n = 0;
            foreach (var t in ev.Truth)
            {
                floats[n++] = t.Charge;
                floats[n++] = (float)t.P;
                floats[n++] = (float)t.Tx;
                floats[n++] = (float)t.Ty;
                floats[n++] = t.Sector;
                floats[n++] = t.InAcceptance ? 1f : 0f;
            }

            b.OpenBank(TruthTag, EvioDataType.Float32, (byte)Math.Min(ev.Truth.Count, 255)).Add(floats[..n]).Close();
            b.Close();
            return b;
        }
        finally
        {
            ArrayPool<uint>.Shared.Return(words);
        }
    }

    /// <summary>Decodes an event written by <see cref="Write"/>, in either byte order (unknown child banks are skipped).</summary>
    /// <exception cref="EvioException">bad lengths, unknown types, truncated banks, values out of range.</exception>
    public static void Read(ReadOnlySpan<byte> data, EvioEvent into)
    {
        ArgumentNullException.ThrowIfNull(into);
        into.Clear();
        if (data.Length < 8 || data.Length % 4 != 0) throw new EvioException($"event of {data.Length} bytes: EVIO events are whole 32-bit words, at least 2");
        var bigEndian = EvioNode.BankByteOrder(data)
            ?? throw new EvioException($"event length word says {System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(data)} words but the event has {(data.Length / 4) - 1}");
        var copy = t_copy is { } c && c.Length >= data.Length ? c : t_copy = new byte[Math.Max(data.Length, 4096)];
        data.CopyTo(copy);
        try
        {
            Read(EvioNode.ParseBank(copy.AsMemory(0, data.Length), bigEndian), into);
        }
        catch (EvioFormatException e)
        {
            throw new EvioException($"{e.Message} (byte {e.Offset}): a bank runs beyond the end of the event or is malformed");
        }
    }

    /// <summary>Decodes an event bank read by the EVIO library (a file's event, say).</summary>
    /// <exception cref="EvioException">unknown types, values out of range.</exception>
    /// <exception cref="EvioFormatException">malformed child banks.</exception>
    public static void Read(EvioNode root, EvioEvent into)
    {
        ArgumentNullException.ThrowIfNull(into);
        into.Clear();
        if (root.DataType is not (EvioDataType.Bank or EvioDataType.AlsoBank)) throw new EvioException($"event bank has type 0x{(int)root.DataType:x2}; a bank of banks (0x10 or 0x0e) is expected");
        foreach (var bank in root.Children)
        {
            var at = (int)bank.Offset;
            switch (bank.Tag)
            {
                case DcTag:
                    Expect(bank, EvioDataType.UInt32);
                    var i = 0;
                    foreach (var v in bank.UInt32s)
                    {
                        var hit = new DcHit((byte)(((v >> 29) & 0x7) + 1), (byte)(((v >> 23) & 0x3F) + 1), (byte)(((v >> 16) & 0x7F) + 1), (ushort)(v & 0xFFFF));
                        if (hit.Sector > 6 || hit.Layer > 36 || hit.Wire > 112) throw new EvioException($"DC hit word 0x{v:x8} at byte {at + 8 + (4 * i)} is out of range (sector {hit.Sector}, layer {hit.Layer}, wire {hit.Wire})");
                        into.DcHits.Add(hit);
                        i++;
                    }

                    break;
                case EcTag:
                    Expect(bank, EvioDataType.UInt32);
                    var ec = bank.UInt32s;
                    if (ec.Length % 2 != 0) throw new EvioException($"EC bank at byte {at} has an odd number of words");
                    for (var k = 0; k < ec.Length; k += 2)
                    {
                        var v = ec[k];
                        var s = new EcStrip((byte)(((v >> 29) & 0x7) + 1), (byte)((v >> 27) & 0x3), (byte)(((v >> 20) & 0x7F) + 1), (int)(v & 0xFFFFF), (int)ec[k + 1]);
                        if (s.Sector > 6 || s.View > 2) throw new EvioException($"EC strip word 0x{v:x8} at byte {at + 8 + (4 * k)} is out of range");
                        into.EcStrips.Add(s);
                    }

                    break;
                case TruthTag:
                    Expect(bank, EvioDataType.Float32);
                    var f = bank.Floats;
                    if (f.Length % TruthFloats != 0) throw new EvioException($"truth bank at byte {at} is not a whole number of particles");
                    for (var k = 0; k < f.Length; k += TruthFloats)
                    {
                        into.Truth.Add(new TruthParticle((int)f[k], f[k + 1], f[k + 2], f[k + 3], (int)f[k + 4], f[k + 5] != 0));
                    }

                    break;
            }
        }
    }

    private static void Expect(EvioNode bank, EvioDataType expected)
    {
        if (bank.DataType != expected) throw new EvioException($"bank 0x{bank.Tag:x4} at byte {bank.Offset} has type 0x{(int)bank.DataType:x2}; expected 0x{(int)expected:x2}");
    }
}
