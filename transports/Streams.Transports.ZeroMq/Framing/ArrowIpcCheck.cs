using System.Buffers.Binary;
using Apache.Arrow;
using Apache.Arrow.Types;

namespace Streams.Transports.ZeroMq.Framing;

/// <summary>
/// Checks an Arrow IPC payload from a peer before and after Apache.Arrow reads it (fuzz findings). Before: every
/// message's flatbuffer metadata is walked, and each table and vector it declares must lie inside it, each body and
/// buffer inside the frame; Apache.Arrow trusts those counts (it sizes lists by them), so a 100-byte frame could make it
/// allocate gigabytes. After: every array's buffers must be as long as its length, offsets and type need (Apache.Arrow
/// reads columns lazily, so a short buffer would fail later, in the next operator). Throws <see cref="FrameException"/>.
/// </summary>
internal static class ArrowIpcCheck
{
    private const int MaxDepth = 32;

    /// <summary>Fields and metadata entries one message may hold: vectors may share tables, and Apache.Arrow expands every path.</summary>
    private const int MaxEntries = 16384;

    public static void Stream(ReadOnlySpan<byte> s)
    {
        if (s.Length == 0) throw Bad("empty");
        var at = 0;
        while (at < s.Length)
        {
            if (s.Length - at < 4) throw Bad("truncated message length");
            var len = BinaryPrimitives.ReadInt32LittleEndian(s[at..]);
            at += 4;
            if (len == -1)
            {
                if (s.Length - at < 4) throw Bad("truncated message length");
                len = BinaryPrimitives.ReadInt32LittleEndian(s[at..]);
                at += 4;
            }

            if (len == 0 && at > 8) return; // end-of-stream marker, after the schema (Apache.Arrow reads one even after a first marker)
            if (len == 0) throw Bad("no schema message");
            if (len < 0 || len > s.Length - at) throw Bad($"message metadata of {len} bytes beyond the frame");
            var body = Message(s.Slice(at, len));
            at += len;
            if (body < 0 || body > s.Length - at) throw Bad($"message body of {body} bytes beyond the frame");
            at += (int)body;
        }
    }

    /// <summary>Checks a message's metadata; returns its body length.</summary>
    private static long Message(ReadOnlySpan<byte> m)
    {
        var root = Root(m);
        var headerType = Byte(m, root, 1);
        var header = Table(m, root, 2);
        var bodyLength = Long(m, root, 3);
        var budget = MaxEntries;
        KeyValues(m, root, 4, ref budget);
        if (header < 0) throw Bad("message without a header");
        switch (headerType)
        {
            case 1: // Schema
                if (bodyLength != 0) throw Bad("a schema message with a body"); // Apache.Arrow would not skip it: the walks would part
                Fields(m, Vector(m, header, 1, 4), 0, ref budget);
                KeyValues(m, header, 2, ref budget);
                _ = Vector(m, header, 3, 8);
                break;
            case 2: // DictionaryBatch
                var data = Table(m, header, 1);
                if (data >= 0) RecordBatch(m, data, bodyLength);
                break;
            case 3: // RecordBatch
                RecordBatch(m, header, bodyLength);
                break;
            default:
                throw Bad($"message header type {headerType} is not a schema or a record batch");
        }

        return bodyLength;
    }

    private static void RecordBatch(ReadOnlySpan<byte> m, int t, long bodyLength)
    {
        if (Long(m, t, 0) < 0) throw Bad("negative record batch length");
        var (nodesAt, nodes) = Vector(m, t, 1, 16);
        for (var i = 0; i < nodes; i++)
        {
            var n = nodesAt + (16 * i);
            long length = BinaryPrimitives.ReadInt64LittleEndian(m[n..]), nulls = BinaryPrimitives.ReadInt64LittleEndian(m[(n + 8)..]);
            // No column packs values denser than a bit each (a boolean's), so a length beyond that is a forgery; Apache.Arrow
            // would allocate for it (a validity bitmap of 2^30 values for a few bytes of frame).
            if (length < 0 || length > (8 * bodyLength) + 4096 || nulls < 0 || nulls > length) throw Bad($"field node {i}: {length} values, {nulls} nulls, for a {bodyLength}-byte body");
        }

        var (buffersAt, buffers) = Vector(m, t, 2, 16);
        for (var i = 0; i < buffers; i++)
        {
            var b = buffersAt + (16 * i);
            long offset = BinaryPrimitives.ReadInt64LittleEndian(m[b..]), length = BinaryPrimitives.ReadInt64LittleEndian(m[(b + 8)..]);
            if (offset < 0 || length < 0 || offset > bodyLength - length) throw Bad($"buffer {i} ({length} bytes at {offset}) beyond the {bodyLength}-byte body");
        }

        if (Table(m, t, 3) >= 0) throw Bad("compressed record batches are not accepted");
        _ = Vector(m, t, 4, 8);
    }

    private static void Fields(ReadOnlySpan<byte> m, (int At, int Count) vector, int depth, ref int budget)
    {
        if (depth > MaxDepth) throw Bad("schema nested too deep");
        for (var i = 0; i < vector.Count; i++)
        {
            if (--budget < 0) throw Bad($"schema of more than {MaxEntries} fields");
            var f = Indirect(m, vector.At + (4 * i));
            _ = Vector(m, f, 0, 1); // name
            var type = Table(m, f, 3);
            if (Byte(m, f, 2) == 14 && type >= 0) _ = Vector(m, type, 1, 4); // Union: typeIds
            if (Table(m, f, 4) >= 0) throw Bad("dictionary-encoded fields are not accepted");
            Fields(m, Vector(m, f, 5, 4), depth + 1, ref budget);
            KeyValues(m, f, 6, ref budget);
        }
    }

    private static void KeyValues(ReadOnlySpan<byte> m, int table, int field, ref int budget)
    {
        var (at, count) = Vector(m, table, field, 4);
        for (var i = 0; i < count; i++)
        {
            if (--budget < 0) throw Bad($"more than {MaxEntries} metadata entries");
            var kv = Indirect(m, at + (4 * i));
            _ = Vector(m, kv, 0, 1);
            _ = Vector(m, kv, 1, 1);
        }
    }

    // --- flatbuffers, read as Google.FlatBuffers reads them (signed offsets, signed 16-bit vtable entries), so that this
    // walk sees the same graph Apache.Arrow will: a table is an soffset to its vtable; a vtable is its size, the table's
    // size and the fields' offsets. Offsets that point backwards (only a forged buffer has them) are refused.
    private static int Root(ReadOnlySpan<byte> m) => Indirect(m, 0);

    /// <summary>The table the offset at <paramref name="at"/> points to, checked.</summary>
    private static int Indirect(ReadOnlySpan<byte> m, int at)
    {
        if (at < 0 || at > m.Length - 4) throw Bad("offset beyond the metadata");
        var rel = BinaryPrimitives.ReadInt32LittleEndian(m[at..]);
        if (rel < 0) throw Bad("backward offset");
        var t = at + (long)rel;
        if (t > m.Length - 4) throw Bad("table beyond the metadata");
        var vt = t - BinaryPrimitives.ReadInt32LittleEndian(m[(int)t..]);
        if (vt < 0 || vt > m.Length - 4) throw Bad("vtable beyond the metadata");
        int vtSize = BinaryPrimitives.ReadInt16LittleEndian(m[(int)vt..]), tSize = BinaryPrimitives.ReadInt16LittleEndian(m[((int)vt + 2)..]);
        if (vtSize < 4 || vt + vtSize > m.Length || tSize < 4 || t + tSize > m.Length) throw Bad("table or vtable beyond the metadata");
        return (int)t;
    }

    /// <summary>Position of field <paramref name="field"/> of table <paramref name="t"/> (<paramref name="size"/> bytes), or -1 when absent.</summary>
    private static int Field(ReadOnlySpan<byte> m, int t, int field, int size)
    {
        var vt = t - BinaryPrimitives.ReadInt32LittleEndian(m[t..]);
        var vtSize = BinaryPrimitives.ReadInt16LittleEndian(m[vt..]);
        var slot = 4 + (2 * field);
        if (slot >= vtSize) return -1; // as Google.FlatBuffers decides (an odd vtable size still has its last slot)
        if (vt + slot + 2 > m.Length) throw Bad("vtable beyond the metadata");
        var off = BinaryPrimitives.ReadInt16LittleEndian(m[(vt + slot)..]);
        if (off == 0) return -1;
        if (off < 0 || off + size > BinaryPrimitives.ReadInt16LittleEndian(m[(vt + 2)..]) || (long)t + off + size > m.Length) throw Bad("field beyond its table");
        return t + off;
    }

    private static byte Byte(ReadOnlySpan<byte> m, int t, int field) => Field(m, t, field, 1) is var p and >= 0 ? m[p] : (byte)0;

    private static long Long(ReadOnlySpan<byte> m, int t, int field) => Field(m, t, field, 8) is var p and >= 0 ? BinaryPrimitives.ReadInt64LittleEndian(m[p..]) : 0;

    private static int Table(ReadOnlySpan<byte> m, int t, int field) => Field(m, t, field, 4) is var p and >= 0 ? Indirect(m, p) : -1;

    /// <summary>A vector field: where its elements start and how many there are, all inside the metadata; (0, 0) when absent.</summary>
    private static (int At, int Count) Vector(ReadOnlySpan<byte> m, int t, int field, int elementSize)
    {
        var p = Field(m, t, field, 4);
        if (p < 0) return (0, 0);
        var rel = BinaryPrimitives.ReadInt32LittleEndian(m[p..]);
        if (rel < 0) throw Bad("backward offset");
        var v = p + (long)rel;
        if (v > m.Length - 4) throw Bad("vector beyond the metadata");
        var count = BinaryPrimitives.ReadInt32LittleEndian(m[(int)v..]);
        if (count < 0 || count * (long)elementSize > m.Length - v - 4) throw Bad($"vector of {count} elements beyond the metadata");
        return ((int)v + 4, (int)count);
    }

    private static FrameException Bad(string what) => new($"Arrow payload is not a valid IPC stream: {what}");
}
