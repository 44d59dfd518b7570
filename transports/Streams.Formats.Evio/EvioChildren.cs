using System.Runtime.InteropServices;

namespace Streams.Formats.Evio;

/// <summary>The children of a container structure; enumerating allocates nothing.</summary>
[StructLayout(LayoutKind.Auto)]
public readonly struct EvioChildren
{
    private readonly ReadOnlyMemory<byte> _buffer;
    private readonly OffsetMap _map;
    private readonly int _start;
    private readonly int _end;
    private readonly EvioStructureKind _kind;
    private readonly bool _bigEndian;

    internal EvioChildren(ReadOnlyMemory<byte> buffer, OffsetMap map, int start, int end, EvioStructureKind kind, bool bigEndian)
    {
        _buffer = buffer;
        _map = map;
        _start = start;
        _end = end;
        _kind = kind;
        _bigEndian = bigEndian;
    }

    /// <summary>Counts the children (walks them; throws on a malformed child).</summary>
    public int Count()
    {
        int n = 0;
        foreach (var _ in this) n++;
        return n;
    }

    /// <summary>The child at <paramref name="index"/> (walks from the first).</summary>
    public EvioNode this[int index]
    {
        get
        {
            int i = 0;
            foreach (var c in this)
                if (i++ == index) return c;
            throw new ArgumentOutOfRangeException(nameof(index));
        }
    }

    /// <summary>The children as a list (allocates).</summary>
    public List<EvioNode> ToList()
    {
        var list = new List<EvioNode>();
        foreach (var c in this) list.Add(c);
        return list;
    }

    public Enumerator GetEnumerator() => new(this);

    /// <summary>Allocation-free child enumerator.</summary>
    [StructLayout(LayoutKind.Auto)]
    public struct Enumerator
    {
        private readonly EvioChildren _c;
        private int _pos;

        internal Enumerator(EvioChildren c) { _c = c; _pos = c._start; Current = default; }

        public EvioNode Current { get; private set; }

        public bool MoveNext()
        {
            if (_pos >= _c._end) return false;
            Current = EvioNode.Parse(_c._buffer, _c._map, _pos, _c._end, _c._kind, _c._bigEndian);
            _pos += Current.TotalBytes;
            return true;
        }
    }
}
