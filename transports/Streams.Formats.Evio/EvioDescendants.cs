using System.Runtime.InteropServices;

namespace Streams.Formats.Evio;

/// <summary>
/// All structures below a node in depth-first pre-order, walked without recursion (an explicit
/// stack, one list per walk), so arbitrarily deep nesting cannot overflow the call stack.
/// </summary>
[StructLayout(LayoutKind.Auto)]
public readonly struct EvioDescendants
{
    private readonly EvioNode _root;

    internal EvioDescendants(EvioNode root) => _root = root;

    public Enumerator GetEnumerator() => new(_root);

    /// <summary>The first structure below the node with <paramref name="tag"/> (and <paramref name="num"/> when given).</summary>
    public EvioNode? FindFirst(int tag, int? num = null)
    {
        foreach (var n in this)
            if (n.Tag == tag && (num == null || n.Num == num)) return n;
        return null;
    }

    /// <summary>Adds every structure below the node with <paramref name="tag"/> (and <paramref name="num"/>) to <paramref name="found"/>.</summary>
    public int FindAll(int tag, List<EvioNode> found, int? num = null)
    {
        ArgumentNullException.ThrowIfNull(found);
        int before = found.Count;
        foreach (var n in this)
            if (n.Tag == tag && (num == null || n.Num == num)) found.Add(n);
        return found.Count - before;
    }

    /// <summary>Pre-order enumerator; throws <see cref="EvioFormatException"/> at a malformed structure.</summary>
    [StructLayout(LayoutKind.Auto)]
    public struct Enumerator
    {
        private readonly EvioNode _root;
        private List<EvioChildren.Enumerator>? _stack;
        private bool _started;

        internal Enumerator(EvioNode root)
        {
            _root = root;
            _stack = null;
            _started = false;
            Current = default;
        }

        public EvioNode Current { get; private set; }

        public bool MoveNext()
        {
            if (!_started)
            {
                _started = true;
                if (!_root.IsContainer) return false;
                _stack = [_root.Children.GetEnumerator()];
            }
            if (_stack == null) return false;
            while (_stack.Count > 0)
            {
                var top = _stack[^1];
                if (top.MoveNext())
                {
                    _stack[^1] = top; // the enumerator is a struct: store its advanced state back
                    Current = top.Current;
                    if (Current.IsContainer) _stack.Add(Current.Children.GetEnumerator());
                    return true;
                }
                _stack.RemoveAt(_stack.Count - 1);
            }
            return false;
        }
    }
}
