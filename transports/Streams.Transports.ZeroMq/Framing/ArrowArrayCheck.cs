using System.Buffers.Binary;
using Apache.Arrow;
using Apache.Arrow.Types;

namespace Streams.Transports.ZeroMq.Framing;

/// <summary>
/// Checks the arrays of a record batch read from a peer: each buffer as long as the array's offset, length and type
/// need, offsets non-decreasing and inside the data they index, children as long as their parents use (fuzz finding:
/// Apache.Arrow reads columns lazily, so a short buffer failed in the next operator instead of at the frame). Types
/// Streams does not send (dictionaries, unions, views, run-end encoded) are refused. Throws <see cref="FrameException"/>.
/// </summary>
internal static class ArrowArrayCheck
{
    public static void Batch(RecordBatch records)
    {
        if (records.ColumnCount != records.Schema.FieldsList.Count) throw new FrameException($"Arrow payload has {records.ColumnCount} columns for a {records.Schema.FieldsList.Count}-field schema");
        for (var c = 0; c < records.ColumnCount; c++)
        {
            var data = records.Column(c).Data;
            if (data.Length < records.Length) throw Bad(c, $"{data.Length} values for {records.Length} rows");
            Array(c, data, 0);
        }
    }

    private static void Array(int column, ArrayData d, int depth)
    {
        if (depth > 32) throw Bad(column, "nested too deep");
        if (d.Offset < 0 || d.Length < 0 || d.NullCount < -1 || d.NullCount > d.Length) throw Bad(column, $"offset {d.Offset}, length {d.Length}, {d.NullCount} nulls");
        long end = (long)d.Offset + d.Length;
        var buffers = d.Buffers ?? [];
        int Len(int i) => i < buffers.Length ? buffers[i].Length : 0;
        void Need(int i, long bytes, string what)
        {
            if (Len(i) < bytes) throw Bad(column, $"{d.DataType.Name}: {what} buffer of {Len(i)} bytes, {bytes} needed");
        }

        if (d.DataType.TypeId != ArrowTypeId.Null && d.NullCount != 0 && Len(0) > 0) Need(0, (end + 7) / 8, "validity");
        if (d.DataType.TypeId != ArrowTypeId.Null && d.NullCount > 0 && Len(0) == 0) throw Bad(column, $"{d.NullCount} nulls without a validity buffer");
        var children = d.Children ?? [];
        switch (d.DataType)
        {
            case NullType:
                return;
            case BooleanType:
                Need(1, (end + 7) / 8, "values");
                return;
            case FixedSizeBinaryType fsb:
                Need(1, end * fsb.ByteWidth, "values");
                return;
            case FixedWidthType fw when d.DataType is not (DictionaryType or UnionType):
                Need(1, end * ((fw.BitWidth + 7) / 8), "values");
                return;
            case BinaryType or StringType:
                Offsets(column, d, buffers, end, 4, Len(2));
                return;
            case LargeBinaryType or LargeStringType:
                Offsets(column, d, buffers, end, 8, Len(2));
                return;
            case ListType or MapType:
                One(column, children);
                Offsets(column, d, buffers, end, 4, children[0].Length);
                Array(column, children[0], depth + 1);
                return;
            case LargeListType:
                One(column, children);
                Offsets(column, d, buffers, end, 8, children[0].Length);
                Array(column, children[0], depth + 1);
                return;
            case FixedSizeListType fsl:
                One(column, children);
                if (children[0].Length < end * fsl.ListSize) throw Bad(column, $"fixed-size list child of {children[0].Length} values, {end * fsl.ListSize} needed");
                Array(column, children[0], depth + 1);
                return;
            case StructType st:
                if (children.Length != st.Fields.Count) throw Bad(column, $"struct of {st.Fields.Count} fields with {children.Length} children");
                foreach (var child in children)
                {
                    if (child.Length < end) throw Bad(column, $"struct child of {child.Length} values, {end} needed");
                    Array(column, child, depth + 1);
                }

                return;
            default:
                throw Bad(column, $"Arrow type {d.DataType.Name} is not accepted in a batch frame");
        }
    }

    private static void One(int column, ArrayData[] children)
    {
        if (children.Length != 1) throw Bad(column, $"a list with {children.Length} children");
    }

    /// <summary>Offsets [offset, offset+length] exist, start at 0 or more, never decrease and end inside the <paramref name="limit"/> they index.</summary>
    private static void Offsets(int column, ArrayData d, ArrowBuffer[] buffers, long end, int width, long limit)
    {
        if (d.Length == 0) return;
        var offsets = buffers.Length > 1 ? buffers[1].Span : default;
        if (offsets.Length < (end + 1) * width) throw Bad(column, $"{d.DataType.Name}: offsets buffer of {offsets.Length} bytes, {(end + 1) * width} needed");
        long previous = -1;
        for (var i = d.Offset; i <= end; i++)
        {
            long o = width == 4 ? BinaryPrimitives.ReadInt32LittleEndian(offsets[(int)(i * 4)..]) : BinaryPrimitives.ReadInt64LittleEndian(offsets[(int)(i * 8)..]);
            if (o < 0 || o < previous || o > limit) throw Bad(column, $"{d.DataType.Name}: offset {o} at {i} (previous {previous}, data of {limit})");
            previous = o;
        }
    }

    private static FrameException Bad(int column, string what) => new($"Arrow payload column {column}: {what}");
}
