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

    [Fact]
    public void Memory_handed_to_a_failing_decode_is_returned()
    {
        using var batch = BytesBatch(3);
        var e = BatchFrames.Encode(batch, 5);
        var header = BatchFrames.ReadHeader(e.Header) with { Kind = PayloadKind.Arrow };
        var lease = new Lease();
        Assert.Throws<FrameException>(() => BatchFrames.Decode(header, e.Meta, new byte[] { 1, 2, 3 }, lease));
        Assert.Equal(1, lease.Disposals);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_batch_sent_over_tcp_arrives_whole_and_its_buffer_returns_to_the_pool_once_disposed(bool arrow)
    {
        ZmqSend.UsePooledBuffers();
        using var batch = arrow ? ArrowBatch(2000) : BytesBatch(40); // ~300 KB: a bucket of the pool no other test uses
        using var pull = new NetMQ.Sockets.PullSocket();
        var port = pull.BindRandomPort("tcp://127.0.0.1");
        using var push = new NetMQ.Sockets.PushSocket($">tcp://127.0.0.1:{port}");
        ZmqSend.SendBatch(push, batch, 77);
        Assert.True(ZmqReceive.TryReceiveBatch(pull, TimeSpan.FromSeconds(10), out var back, out var payloadBytes));
        var encoded = BatchFrames.Encode(batch, 77);
        Assert.Equal(encoded.PayloadLength, payloadBytes); // the measured payload frame is the encoder's, byte for byte in size
        Assert.Equal(batch.Meta.ToArray().Select(m => (m.EventNumber, m.DataId, m.Tick)), back!.Meta.ToArray().Select(m => (m.EventNumber, m.DataId, m.Tick)));
        if (arrow)
        {
            var sent = (BinaryArray)batch.Records!.Column("payload");
            var got = (BinaryArray)back.Records!.Column("payload");
            Assert.All(Enumerable.Range(0, batch.Count), i => Assert.True(sent.GetBytes(i).SequenceEqual(got.GetBytes(i))));
            // Read in place: the column's bytes are the received message's pooled buffer, kept until the batch goes.
            Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(got.ValueBuffer.Memory, out var buffer));
            Assert.False(ZmqSend.Pool.Holds(buffer.Array!));
            back.Dispose();
            Assert.True(ZmqSend.Pool.Holds(buffer.Array!), "the payload's buffer went back to the pool");
        }
        else
        {
            Assert.All(Enumerable.Range(0, batch.Count), i => Assert.True(batch.GetPayload(i).SequenceEqual(back.GetPayload(i))));
            back.Dispose();
        }
    }

    private static EventBatch ArrowBatch(int n)
    {
        var numbers = new UInt64Array.Builder();
        var payloads = new BinaryArray.Builder();
        var rng = new Random(3);
        for (var i = 0; i < n; i++)
        {
            var p = new byte[rng.Next(0, 300)];
            rng.NextBytes(p);
            numbers.Append((ulong)i);
            payloads.Append(p.AsSpan());
        }

        var schema = new Schema.Builder()
            .Field(f => f.Name("n").DataType(Apache.Arrow.Types.UInt64Type.Default))
            .Field(f => f.Name("payload").DataType(Apache.Arrow.Types.BinaryType.Default))
            .Build();
        var meta = Enumerable.Range(0, n).Select(i => new EventMeta((ulong)(100 + i), (ushort)(i % 4), (ulong)i, 0)).ToArray();
        return EventBatch.FromSource(meta, "arrow/test", new RecordBatch(schema, [numbers.Build(), payloads.Build()], n));
    }

    private sealed class Lease : IDisposable
    {
        public int Disposals { get; private set; }

        public void Dispose() => Disposals++;
    }
}
