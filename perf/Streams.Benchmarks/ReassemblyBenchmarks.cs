using System.Buffers.Binary;
using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Streams.Transports.Ejfat.Receiving;
using Streams.Transports.Ejfat.Sending;
using Streams.Transports.Ejfat.Wire;

namespace Streams.Benchmarks;

/// <summary>
/// The receive hot path without the socket: parse LB + RE headers and place the segment into its event's pooled
/// buffer, completing events. Reported per datagram; MemoryDiagnoser must show 0 B allocated.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class ReassemblyBenchmarks
{
    private const int Events = 64;
    private byte[][] _datagrams = [];
    private Reassembler _reassembler = null!;
    private ulong _round;

    [Params(1472, 8972)]
    public int DatagramBytes { get; set; }

    [Params(100_000, 1_000_000)]
    public int EventBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var frame = new FrameOptions { MaxPayload = DatagramBytes - EjfatWire.HeadersSize };
        var ev = new byte[EventBytes];
        new Random(1).NextBytes(ev);
        var list = new List<byte[]>();
        var buf = new byte[EjfatWire.MaxDatagram];
        for (ulong e = 0; e < Events; e++)
        {
            for (var i = 0; i < Segmenter.SegmentCount(ev.Length, frame.MaxPayload); i++)
            {
                var n = Segmenter.Write(buf, ev, i, frame, e, 0, e, (ushort)e);
                list.Add(buf[..n]);
            }
        }

        _datagrams = [.. list];
        _reassembler = new Reassembler(new Discard(), LbHeaderMode.Auto, memoryCapBytes: 1L << 30);
    }

    public int Datagrams => _datagrams.Length;

    [Benchmark]
    public long PlaceAllDatagrams()
    {
        // New event numbers each round so events are not taken for duplicates of the last round's.
        var offset = ++_round * Events;
        var now = Stopwatch.GetTimestamp();
        foreach (var d in _datagrams)
        {
            var number = BinaryPrimitives.ReadUInt64BigEndian(d.AsSpan(LbHeader.Size + 12)) % Events;
            BinaryPrimitives.WriteUInt64BigEndian(d.AsSpan(LbHeader.Size + 12), number + offset);
            _reassembler.Place(d, now);
        }

        return _reassembler.Stats.EventsCompleted;
    }

    private sealed class Discard : ICompletedEventSink
    {
        public bool OnEvent(byte[] buffer, int length, ulong eventNumber, ushort dataId, ulong tick) => false;
    }
}
