using System.Buffers.Binary;
using Apache.Arrow;
using Streams.Engine.Batches;
using Streams.Transports.ZeroMq.Framing;

namespace Streams.Transports.Tests.ZeroMq;

public sealed class FramingTests
{
    private static EventBatch BytesBatch(int n)
    {
        using var b = new EventBatchBuilder();
        for (var i = 0; i < n; i++)
        {
            var payload = new byte[10 + (i * 7)];
            new Random(i).NextBytes(payload);
            b.Add(new EventMeta((ulong)(1000 + i), (ushort)(i % 3), (ulong)(5000 + i), 0), payload);
        }

        return b.Build("binary/test");
    }

    [Fact]
    public void A_raw_batch_round_trips_with_its_metadata_and_bytes()
    {
        using var batch = BytesBatch(17);
        var e = BatchFrames.Encode(batch, 42);
        var header = BatchFrames.ReadHeader(e.Header);
        Assert.Equal(new BatchHeader(PayloadKind.Bytes, 42, 17, "binary/test"), header);
        Assert.Equal(17 * BatchFrames.MetaEntrySize, e.Meta.Length);
        using var back = BatchFrames.Decode(header, e.Meta, e.Payload.AsMemory(0, e.PayloadLength));
        Assert.Equal(batch.Count, back.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            Assert.Equal(batch.Meta[i].EventNumber, back.Meta[i].EventNumber);
            Assert.Equal(batch.Meta[i].DataId, back.Meta[i].DataId);
            Assert.Equal(batch.Meta[i].Tick, back.Meta[i].Tick);
            Assert.True(batch.GetPayload(i).SequenceEqual(back.GetPayload(i)));
        }
    }

    [Fact]
    public void An_arrow_batch_round_trips_as_an_ipc_stream()
    {
        var numbers = new UInt64Array.Builder().AppendRange([1UL, 2UL, 3UL]).Build();
        var names = new StringArray.Builder().AppendRange(["a", "bb", "ccc"]).Build();
        var records = new RecordBatch(new Schema.Builder().Field(f => f.Name("n").DataType(Apache.Arrow.Types.UInt64Type.Default)).Field(f => f.Name("s").DataType(Apache.Arrow.Types.StringType.Default)).Build(), [numbers, names], 3);
        using var batch = EventBatch.FromSource([new(7, 1, 70, 0), new(8, 1, 80, 0), new(9, 2, 90, 0)], "arrow/test", records);
        var e = BatchFrames.Encode(batch, 1);
        var header = BatchFrames.ReadHeader(e.Header);
        Assert.Equal(PayloadKind.Arrow, header.Kind);
        Assert.Equal(0xFFFFFFFFu, BinaryPrimitives.ReadUInt32LittleEndian(e.Payload)); // an IPC stream opens with a continuation marker
        using var back = BatchFrames.Decode(header, e.Meta, e.Payload.AsMemory(0, e.PayloadLength));
        Assert.Equal([7UL, 8UL, 9UL], back.Meta.ToArray().Select(m => m.EventNumber));
        Assert.Equal([1, 1, 2], back.Meta.ToArray().Select(m => (int)m.DataId));
        var s = (StringArray)back.Records!.Column("s");
        Assert.Equal(["a", "bb", "ccc"], Enumerable.Range(0, s.Length).Select(i => s.GetString(i)));
        var n = (UInt64Array)back.Records!.Column("n");
        Assert.Equal([1UL, 2UL, 3UL], Enumerable.Range(0, n.Length).Select(i => n.GetValue(i)!.Value));
    }

    [Fact]
    public void The_header_layout_is_the_documented_one()
    {
        using var batch = BytesBatch(2);
        var h = BatchFrames.Encode(batch, 0x0102030405060708).Header;
        Assert.Equal("SBT1"u8.ToArray(), h[..4]);
        Assert.Equal(2, h[4]);
        Assert.Equal("binary/test".Length, BinaryPrimitives.ReadUInt16LittleEndian(h.AsSpan(6)));
        Assert.Equal(0x0102030405060708UL, BinaryPrimitives.ReadUInt64LittleEndian(h.AsSpan(8)));
        Assert.Equal(2U, BinaryPrimitives.ReadUInt32LittleEndian(h.AsSpan(16)));
        Assert.Equal("binary/test"u8.ToArray(), h[24..]);
    }

    [Theory]
    [InlineData("short")]
    [InlineData("magic")]
    [InlineData("kind")]
    [InlineData("type-length")]
    public void A_malformed_header_is_refused_with_a_reason(string damage)
    {
        using var batch = BytesBatch(2);
        var h = BatchFrames.Encode(batch, 5).Header;
        switch (damage)
        {
            case "short": h = h[..10]; break;
            case "magic": h[0] = (byte)'X'; break;
            case "kind": h[4] = 9; break;
            case "type-length": h[6] = 200; break;
        }

        var e = Assert.Throws<FrameException>(() => BatchFrames.ReadHeader(h));
        Assert.False(string.IsNullOrWhiteSpace(e.Message));
    }

    [Fact]
    public void Metadata_and_payload_that_disagree_are_refused()
    {
        using var batch = BytesBatch(3);
        var e = BatchFrames.Encode(batch, 5);
        var header = BatchFrames.ReadHeader(e.Header);
        Assert.Throws<FrameException>(() => BatchFrames.Decode(header, e.Meta.AsSpan(0, 30), e.Payload.AsMemory(0, e.PayloadLength)));
        Assert.Throws<FrameException>(() => BatchFrames.Decode(header, e.Meta, e.Payload.AsMemory(0, e.PayloadLength - 1)));
        var arrowHeader = header with { Kind = PayloadKind.Arrow };
        Assert.Throws<FrameException>(() => BatchFrames.Decode(arrowHeader, e.Meta.AsSpan(), new byte[] { 1, 2, 3 }));
    }
}
