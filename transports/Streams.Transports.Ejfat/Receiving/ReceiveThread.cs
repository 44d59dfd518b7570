using System.Diagnostics;
using System.Net.Sockets;
using Streams.Engine.Batches;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;
using Streams.Transports.Ejfat.Udp;

namespace Streams.Transports.Ejfat.Receiving;

internal sealed partial class EjfatReceiverSource
{
    /// <summary>
    /// One receive thread: drains its sockets without blocking on any one of them, places datagrams into its own
    /// reassembler (events of one entropy always arrive on one port, so a thread sees every segment of its events),
    /// and emits completed events in batches without ever waiting on the pipeline.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The builder is disposed when the thread ends (Run).")]
    private sealed class ReceiveThread : ICompletedEventSink
    {
        private readonly int _id;
        private readonly Socket[] _sockets;
        private readonly ReceiverConfig _config;
        private readonly SourceContext _context;
        private readonly Reassembler _reassembler;
        private readonly EventBatchBuilder _builder;
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        /// <summary>Events at least this large are emitted without copying, one per batch.</summary>
        private const int ZeroCopyBytes = 32 * 1024;

        private readonly long _flushTicks;
        private long _batchStarted;
        private long _settledLosses;
        private bool _budgetSpent;

        public ReceiveThread(int id, Socket[] sockets, ReceiverConfig config, SourceContext context, long memoryCap)
        {
            _id = id;
            _sockets = sockets;
            _config = config;
            _context = context;
            _reassembler = new Reassembler(this, config.LbMode, config.MaxEventBytes, memoryCap, config.Timeout);
            _builder = new EventBatchBuilder(config.BatchSize, 1 << 20);
            _flushTicks = (long)(config.FlushInterval.TotalSeconds * Stopwatch.Frequency);
        }

        public ReceiverStats Stats => _reassembler.Stats;

        public Task Done => _done.Task;

        public void Start(CancellationToken stop)
        {
            var thread = new Thread(() => Run(stop)) { IsBackground = true, Name = $"ejfat-rx-{_id}" };
            thread.Start();
        }

        private void Run(CancellationToken stop)
        {
            Exception? failure = null;
            try
            {
                Loop(stop);
            }
            catch (Exception e)
            {
                failure = e;
            }

            try
            {
                Flush();
                _reassembler.DropAll();
                SettleLosses();
                _builder.Dispose();
            }
            catch (Exception e)
            {
                failure ??= e;
            }

            // Only now, with every event emitted or accounted for, may the source (and its outlet) finish.
            if (failure is null) _done.TrySetResult();
            else _done.TrySetException(failure);
        }

        private void Loop(CancellationToken stop)
        {
            // recvmmsg batches where the platform has them (one system call for up to 64 datagrams, or with UDP GRO up to
            // 16 runs of up to 64 datagrams each, cut apart below), else one receive per datagram into one buffer.
            var gro = false;
            foreach (var socket in _sockets) gro |= BatchedUdp.EnableGro(socket);
            var batch = !BatchedUdp.IsSupported ? null
                : gro ? new DatagramBatch(GroBatch, DatagramBatch.GroSlotBytes, control: true)
                : new DatagramBatch(ReceiveBatch);
            var buffer = batch is null ? GC.AllocateUninitializedArray<byte>(65536, pinned: true) : null;
            var evictEvery = Stopwatch.Frequency / 100; // 10 ms
            var lastEvict = Stopwatch.GetTimestamp();
            while (!stop.IsCancellationRequested && !_budgetSpent && (_config.Lb is not null || !_context.IntakeStopped))
            {
                var any = false;
                foreach (var socket in _sockets)
                {
                    if (batch is not null)
                    {
                        if (ReceiveBatches(socket, batch)) any = true;
                        if (_budgetSpent) return;
                        continue;
                    }

                    for (var k = 0; k < 256; k++)
                    {
                        var n = socket.Receive(buffer!, SocketFlags.None, out var error);
                        if (error != SocketError.Success) break;
                        any = true;
                        _reassembler.Place(buffer.AsSpan(0, n), Stopwatch.GetTimestamp());
                        if (_budgetSpent) return;
                    }
                }

                var now = Stopwatch.GetTimestamp();
                if (now - lastEvict > evictEvery)
                {
                    _reassembler.EvictExpired(now);
                    SettleLosses();
                    lastEvict = now;
                }

                if (_builder.Count > 0 && now - _batchStarted >= _flushTicks) Flush();
                if (!any)
                {
                    // Idle: wait for a datagram, but no longer than a partial batch may wait (flush-ms).
                    var waitUs = _sockets.Length == 1 ? 2_000 : 200;
                    if (_builder.Count > 0) waitUs = (int)Math.Clamp((_flushTicks - (now - _batchStarted)) * 1_000_000 / Stopwatch.Frequency, 1, waitUs);
                    _sockets[0].Poll(waitUs, SelectMode.SelectRead);
                }
            }
        }

        /// <summary>Datagrams per recvmmsg.</summary>
        private const int ReceiveBatch = 64;

        /// <summary>GRO messages (of up to 64 KiB) per recvmmsg.</summary>
        private const int GroBatch = 16;

        /// <summary>
        /// Up to four batches of <paramref name="socket"/> (256 datagrams without GRO, as the per-datagram loop takes, so that
        /// one busy port does not starve the thread's others); false when none was waiting. Stops at the datagram that spends the budget.
        /// </summary>
        private bool ReceiveBatches(Socket socket, DatagramBatch batch)
        {
            var any = false;
            for (var k = 0; k < 4; k++)
            {
                var n = BatchedUdp.Receive(socket, batch);
                if (n == 0) break;
                any = true;
                var now = Stopwatch.GetTimestamp();
                for (var i = 0; i < n; i++)
                {
                    if (batch.Truncated(i))
                    {
                        // Larger than any EJFAT datagram (9000 bytes) and cut short by the kernel: not a segment.
                        Stats.Packets++;
                        Stats.PacketsBadSegment++;
                        continue;
                    }

                    var size = batch.SegmentSize(i);
                    if (size == batch.Length(i))
                    {
                        _reassembler.Place(batch.Datagram(i), now);
                        if (_budgetSpent) return true;
                        continue;
                    }

                    // A GRO run: datagrams of one sender back to back, each of the reported size but the last.
                    var segments = batch.SegmentCount(i);
                    for (var j = 0; j < segments; j++)
                    {
                        _reassembler.Place(batch.Segment(i, j, size), now);
                        if (_budgetSpent) return true;
                    }
                }

                if (n < batch.Capacity) break;
            }

            return any;
        }

        /// <summary>Reports events the reassembler lost (timeout, memory cap, stop) to the run's books as discarded.</summary>
        private void SettleLosses()
        {
            var s = Stats;
            var lost = s.EventsLostTimeout + s.EventsLostMemory + s.EventsLostStopped;
            if (lost > _settledLosses) _context.Discard((int)(lost - _settledLosses));
            _settledLosses = lost;
        }

        public bool OnEvent(byte[] buffer, int length, ulong eventNumber, ushort dataId, ulong tick)
        {
            // Behind a load balancer a draining node still takes the events on their way (the budget of --events still holds).
            if ((_config.Count > 0 && Interlocked.Increment(ref _config.Taken) > _config.Count) || (_config.Lb is null ? _context.TryReserve(1) : _context.TryReserveDraining(1)) == 0)
            {
                _budgetSpent = true; // --events reached (or intake stopped): this event is not taken
                Stats.EventsBeyondLimit++;
                return false;
            }

            var meta = new EventMeta(eventNumber, dataId, tick, Stopwatch.GetTimestamp());
            if (length >= ZeroCopyBytes)
            {
                // Large events travel on in the reassembly buffer itself, one per batch: no copy.
                if (!_context.TryEmit(EventBatch.FromPooledBytes(meta, DataType, buffer, length))) Stats.EventsLostQueueFull++;
                return true;
            }

            if (_builder.Count == 0) _batchStarted = Stopwatch.GetTimestamp();
            _builder.Add(meta, buffer.AsSpan(0, length));
            if (_builder.Count >= _config.BatchSize) Flush();
            return false;
        }

        private void Flush()
        {
            if (_builder.Count == 0) return;
            var n = _builder.Count;
            if (!_context.TryEmit(_builder.Build(DataType))) Stats.EventsLostQueueFull += n;
        }
    }
}
