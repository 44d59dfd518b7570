using System.Buffers.Binary;

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
/// EVIO 6 banks, big-endian: word 0 = length in 32-bit words excluding itself; word 1 = tag (16) | padding (2) |
/// type (6) | num (8). An event is a bank of banks (type 0x10, tag 1) holding a DC bank (tag 0x0D01, uint32: one
/// word per hit = sector-1 (3) | layer-1 (6) | wire-1 (7) | TDC (16)), an EC bank (tag 0x0EC1, uint32: two words per
/// strip = sector-1 (3) | view (2) | strip-1 (7) | ADC (20), then TDC) and a truth bank (tag 0xFF01, float32, num =
/// particles, six floats each: charge, p, tx, ty, sector, in-acceptance).
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

    /// <summary>Bytes <see cref="Write"/> needs for an event.</summary>
    public static int SizeOf(EvioEvent ev)
    {
        ArgumentNullException.ThrowIfNull(ev);
        return 4 * (2 + (2 + ev.DcHits.Count) + (2 + (2 * ev.EcStrips.Count)) + (2 + (TruthFloats * ev.Truth.Count)));
    }

    public static int Header(ushort tag, byte type, byte num) => (tag << 16) | ((type & 0x3F) << 8) | num;

    /// <summary>Encodes <paramref name="ev"/> into <paramref name="destination"/>; returns the bytes written.</summary>
    public static int Write(EvioEvent ev, Span<byte> destination)
    {
        var size = SizeOf(ev);
        if (destination.Length < size) throw new ArgumentException($"need {size} bytes", nameof(destination));
        var w = 0;
        void Word(Span<byte> d, int value)
        {
            BinaryPrimitives.WriteInt32BigEndian(d[(w * 4)..], value);
            w++;
        }

        Word(destination, (size / 4) - 1);
        Word(destination, Header(EventTag, TypeBankOfBanks, 0));
        Word(destination, ev.DcHits.Count + 1);
        Word(destination, Header(DcTag, TypeUInt32, 0));
        foreach (var h in ev.DcHits) Word(destination, ((h.Sector - 1) << 29) | ((h.Layer - 1) << 23) | ((h.Wire - 1) << 16) | h.Tdc);
        Word(destination, (2 * ev.EcStrips.Count) + 1);
        Word(destination, Header(EcTag, TypeUInt32, 0));
        foreach (var s in ev.EcStrips)
        {
            Word(destination, ((s.Sector - 1) << 29) | (s.View << 27) | ((s.Strip - 1) << 20) | (s.Adc & 0xFFFFF));
            Word(destination, s.Tdc);
        }

        Word(destination, (TruthFloats * ev.Truth.Count) + 1);
        Word(destination, Header(TruthTag, TypeFloat32, (byte)Math.Min(ev.Truth.Count, 255)));
        foreach (var t in ev.Truth)
        {
            foreach (var f in new[] { t.Charge, (float)t.P, (float)t.Tx, (float)t.Ty, t.Sector, t.InAcceptance ? 1f : 0f })
            {
                Word(destination, BitConverter.SingleToInt32Bits(f));
            }
        }

        return w * 4;
    }

    /// <summary>Decodes an event written by <see cref="Write"/> (unknown child banks are skipped).</summary>
    /// <exception cref="EvioException">bad lengths, unknown types, truncated banks, values out of range.</exception>
    public static void Read(ReadOnlySpan<byte> data, EvioEvent into)
    {
        ArgumentNullException.ThrowIfNull(into);
        into.Clear();
        if (data.Length < 8 || data.Length % 4 != 0) throw new EvioException($"event of {data.Length} bytes: EVIO events are whole 32-bit words, at least 2");
        var length = BinaryPrimitives.ReadInt32BigEndian(data);
        if (length < 1 || ((long)length + 1) * 4 != data.Length) throw new EvioException($"event length word says {length} words but the event has {(data.Length / 4) - 1}");
        var type = (BinaryPrimitives.ReadInt32BigEndian(data[4..]) >> 8) & 0x3F;
        if (type is not (TypeBankOfBanks or TypeBankOfBanksAlt)) throw new EvioException($"event bank has type 0x{type:x2}; a bank of banks (0x10 or 0x0e) is expected");
        var at = 8;
        while (at < data.Length)
        {
            if (data.Length - at < 8) throw new EvioException($"truncated bank header at byte {at}");
            var len = BinaryPrimitives.ReadInt32BigEndian(data[at..]);
            var header = BinaryPrimitives.ReadInt32BigEndian(data[(at + 4)..]);
            var tag = (ushort)(header >>> 16);
            var btype = (header >> 8) & 0x3F;
            if (len < 1 || at + (((long)len + 1) * 4) > data.Length) throw new EvioException($"bank 0x{tag:x4} at byte {at} says {len} words, beyond the end of the event");
            var body = data.Slice(at + 8, (len - 1) * 4);
            switch (tag)
            {
                case DcTag:
                    Expect(tag, btype, TypeUInt32, at);
                    for (var i = 0; i < body.Length; i += 4)
                    {
                        var v = BinaryPrimitives.ReadInt32BigEndian(body[i..]);
                        var hit = new DcHit((byte)(((v >>> 29) & 0x7) + 1), (byte)(((v >> 23) & 0x3F) + 1), (byte)(((v >> 16) & 0x7F) + 1), (ushort)(v & 0xFFFF));
                        if (hit.Sector > 6 || hit.Layer > 36 || hit.Wire > 112) throw new EvioException($"DC hit word 0x{v:x8} at byte {at + 8 + i} is out of range (sector {hit.Sector}, layer {hit.Layer}, wire {hit.Wire})");
                        into.DcHits.Add(hit);
                    }

                    break;
                case EcTag:
                    Expect(tag, btype, TypeUInt32, at);
                    if (body.Length % 8 != 0) throw new EvioException($"EC bank at byte {at} has an odd number of words");
                    for (var i = 0; i < body.Length; i += 8)
                    {
                        var v = BinaryPrimitives.ReadInt32BigEndian(body[i..]);
                        var s = new EcStrip((byte)(((v >>> 29) & 0x7) + 1), (byte)((v >> 27) & 0x3), (byte)(((v >> 20) & 0x7F) + 1), v & 0xFFFFF, BinaryPrimitives.ReadInt32BigEndian(body[(i + 4)..]));
                        if (s.Sector > 6 || s.View > 2) throw new EvioException($"EC strip word 0x{v:x8} at byte {at + 8 + i} is out of range");
                        into.EcStrips.Add(s);
                    }

                    break;
                case TruthTag:
                    Expect(tag, btype, TypeFloat32, at);
                    if (body.Length % (4 * TruthFloats) != 0) throw new EvioException($"truth bank at byte {at} is not a whole number of particles");
                    for (var i = 0; i < body.Length; i += 4 * TruthFloats)
                    {
                        var p = body.Slice(i, 4 * TruthFloats);
                        into.Truth.Add(new TruthParticle((int)Float(p, 0), Float(p, 1), Float(p, 2), Float(p, 3), (int)Float(p, 4), Float(p, 5) != 0));
                    }

                    break;
            }

            at += (len + 1) * 4;
        }
    }

    private static float Float(ReadOnlySpan<byte> words, int k) => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadInt32BigEndian(words[(4 * k)..]));

    private static void Expect(ushort tag, int type, byte expected, int at)
    {
        if (type != expected) throw new EvioException($"bank 0x{tag:x4} at byte {at} has type 0x{type:x2}; expected 0x{expected:x2}");
    }
}
