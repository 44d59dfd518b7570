using System.Collections;
using System.Runtime.InteropServices;

namespace Streams.Formats.Evio;

/// <summary>One top-level event: its root bank and where it came from.</summary>
[StructLayout(LayoutKind.Auto)]
public readonly record struct EvioEvent(EvioNode Root, int Index, int RecordNumber, long RecordOffset)
{
    /// <summary>The event's bytes (root bank header included), in file byte order.</summary>
    public ReadOnlyMemory<byte> Memory => Root.Memory;
}

/// <summary>
/// The events of an <see cref="EvioReader"/>. <c>foreach</c> uses the struct enumerator and allocates
/// nothing over uncompressed data; the <see cref="IEnumerable{T}"/> form is there for LINQ.
/// </summary>
public readonly struct EvioEventCollection : IEnumerable<EvioEvent>
{
    private readonly EvioReader _reader;

    internal EvioEventCollection(EvioReader reader) => _reader = reader;

    public Enumerator GetEnumerator() => new(_reader);

    IEnumerator<EvioEvent> IEnumerable<EvioEvent>.GetEnumerator() => new Boxed(_reader);

    IEnumerator IEnumerable.GetEnumerator() => new Boxed(_reader);

    /// <summary>Walks the records (v6) or blocks (v4) and yields each top-level event.</summary>
    [StructLayout(LayoutKind.Auto)]
    public struct Enumerator
    {
        private readonly EvioReader _reader;
        private int _nextRecord;
        private RecordBody _body;
        private EvioRecordHeader _header;
        private bool _open;
        private int _eventInRecord;
        private int _eventPos;
        private int _index;
        private bool _last;

        internal Enumerator(EvioReader reader)
        {
            _reader = reader;
            _nextRecord = reader.FirstRecordOffset;
            _body = default;
            _header = default;
            _open = false;
            _eventInRecord = 0;
            _eventPos = 0;
            _index = 0;
            _last = false;
            Current = default;
        }

        public EvioEvent Current { get; private set; }

        public bool MoveNext()
        {
            while (true)
            {
                if (_open && _eventInRecord < _body.EventCount)
                {
                    Current = NextInRecord();
                    return true;
                }
                if (!OpenNextRecord()) return false;
            }
        }

        private EvioEvent NextInRecord()
        {
            var b = _body;
            var s = b.Buffer.Span;
            int limit = b.EventsEnd;
            if (b.HasIndex)
            {
                // The index gives each event's length; the event must fit in what remains.
                uint len = Words.U32(s, b.IndexStart + 4 * _eventInRecord, _reader.IsBigEndian);
                if (len > (uint)(b.EventsEnd - _eventPos))
                    throw b.Map.Error($"index entry {_eventInRecord} ({len} bytes) runs past the record's events", b.IndexStart + 4 * _eventInRecord);
                limit = _eventPos + (int)len;
            }
            var root = EvioNode.Parse(b.Buffer, b.Map, _eventPos, limit, EvioStructureKind.Bank, _reader.IsBigEndian);
            _eventPos = b.HasIndex ? limit : _eventPos + root.TotalBytes;
            _eventInRecord++;
            return new EvioEvent(root, _index++, b.Number, _reader.BaseOffset + _header.Offset);
        }

        private bool OpenNextRecord()
        {
            var data = _reader.Data;
            if (_last || _nextRecord >= data.Length) return false;
            EvioRecordHeader h;
            if (_reader.Version == 4)
            {
                h = RecordParser.ParseV4(data.Span, _nextRecord, _reader.IsBigEndian, _reader.BaseOffset);
                _body = RecordParser.OpenV4(data, h, _reader.BaseOffset);
                _eventPos = _body.EventsStart + _reader.SkipDictionary(_body, h); // the dictionary is not an event
                if (h.EventCount > (uint)(_body.EventsEnd - _eventPos) / 8)
                    throw new EvioFormatException($"{h.EventCount} events cannot fit in block of {h.LengthBytes} bytes", _reader.BaseOffset + h.Offset + 12);
                _last = h.IsLastRecord;
            }
            else
            {
                h = RecordParser.ParseV6(data.Span, _nextRecord, _reader.IsBigEndian, _reader.BaseOffset);
                if (h.IsTrailer) { _last = true; return false; }
                _body = RecordParser.OpenV6(data, h, _reader.Options, _reader.BaseOffset);
                _eventPos = _body.EventsStart;
                _last = h.IsLastRecord;
            }
            _header = h;
            _open = true;
            _eventInRecord = 0;
            _nextRecord += (int)h.LengthBytes;
            return true;
        }
    }

    private sealed class Boxed(EvioReader reader) : IEnumerator<EvioEvent>
    {
        private Enumerator _e = new(reader);

        public EvioEvent Current => _e.Current;

        object IEnumerator.Current => Current;

        public bool MoveNext() => _e.MoveNext();

        public void Reset() => _e = new Enumerator(reader);

        public void Dispose() { }
    }
}
