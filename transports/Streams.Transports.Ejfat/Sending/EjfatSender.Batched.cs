using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Streams.Transports.Ejfat.Udp;
using static Streams.Transports.Ejfat.Udp.LinuxSockets;

namespace Streams.Transports.Ejfat.Sending;

public sealed partial class EjfatSender
{
    /// <summary>sendmmsg entries per system call.</summary>
    private const int ChunkMessages = 16;

    private GsoBatch? _batch;
    private byte[] _headers = [];
    private bool _gso;

    /// <summary>Whether datagrams go out as GSO sends (false: never, or after the kernel refused one).</summary>
    public bool UsesGso => _gso;

    private void InitBatched(SenderOptions options)
    {
        _gso = options.Gso && BatchedUdp.ProbeGso(_sockets[0][0]);
        _batch = new GsoBatch(ChunkMessages, ChunkMessages * MaxSegments * 2);
        _headers = GC.AllocateArray<byte>(ChunkMessages * MaxSegments * options.Frame.HeaderBytes, pinned: true);
    }

    /// <summary>
    /// Sends an event's datagrams in sendmmsg batches of <see cref="ChunkMessages"/> entries: each entry a GSO send of up
    /// to 64 KiB of datagrams (or one datagram without GSO), gathered from the segment's headers (written into a pinned
    /// array) and its payload where it lies in the event. A kernel or device that refuses GSO (EIO: no checksum offload;
    /// EINVAL: a datagram over the path's MTU) turns GSO off for good and the rest goes one datagram per entry.
    /// </summary>
    private unsafe void SendBatched(Socket socket, ReadOnlySpan<byte> eventBytes, ulong eventNumber, ushort dataId, ulong tick, ushort entropy)
    {
        var frame = _options.Frame;
        var batch = _batch!;
        var headerBytes = frame.HeaderBytes;
        var datagram = headerBytes + frame.MaxPayload;
        var n = Segmenter.SegmentCount(eventBytes.Length, frame.MaxPayload);
        var headers = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_headers));
        fixed (byte* data = eventBytes)
        {
            var segment = 0;
            while (segment < n)
            {
                // Build a chunk of entries from segment on.
                batch.Clear();
                var perEntry = _gso ? Math.Min(MaxSegments, GsoBatch.MaxMessageBytes / datagram) : 1;
                var first = segment;
                var h = 0;
                while (segment < n && batch.HasRoom(2 * perEntry))
                {
                    var k = Math.Min(perEntry, n - segment);
                    batch.Begin();
                    for (var j = segment; j < segment + k; j++)
                    {
                        var offset = j * frame.MaxPayload;
                        var length = Math.Min(frame.MaxPayload, eventBytes.Length - offset);
                        var header = headers + (h++ * headerBytes);
                        Segmenter.WriteHeaders(new Span<byte>(header, headerBytes), frame, (uint)offset, (uint)eventBytes.Length, eventNumber, dataId, tick, entropy);
                        batch.Add(header, headerBytes);
                        if (length > 0) batch.Add(data + offset, length);
                    }

                    batch.End(k, datagram);
                    segment += k;
                }

                var resendFrom = SendChunk(socket, batch);
                if (resendFrom >= 0)
                {
                    // GSO refused at entry resendFrom: the chunk goes again from its first segment, one datagram per entry.
                    segment = first;
                    for (var m = 0; m < resendFrom; m++) segment += batch.Segments(m);
                }
            }
        }
    }

    /// <summary>Sends every entry of <paramref name="batch"/>; returns -1, or the entry from which it must be rebuilt without GSO.</summary>
    private int SendChunk(Socket socket, GsoBatch batch)
    {
        var m = 0;
        var refused = 0;
        while (m < batch.Count)
        {
            var sent = BatchedUdp.Send(socket, batch, m, batch.Count - m, wait: true, out var error);
            if (sent > 0)
            {
                m += sent;
                refused = 0;
            }
            else if (sent == 0)
            {
                Thread.Yield(); // the kernel's send queue is full (ENOBUFS) or a signal came: wait for it rather than drop
            }
            else if (error == EConnRefused)
            {
                // An ICMP port-unreachable for an earlier datagram is reported on this send, which then did not go out:
                // reporting cleared it, so send again (once; a second refusal means nobody listens).
                if (++refused > 1)
                {
                    DatagramsRefused += batch.Segments(m);
                    m++;
                    refused = 0;
                }
            }
            else if (error is EIo or EInval or EMsgSize && batch.Segments(m) > 1)
            {
                _gso = false;
                return m;
            }
            else
            {
                throw new IOException($"sendmmsg failed: {Marshal.GetPInvokeErrorMessage(error)} (errno {error})");
            }
        }

        return -1;
    }
}
