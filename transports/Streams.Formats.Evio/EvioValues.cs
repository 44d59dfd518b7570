using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Streams.Formats.Evio;

/// <summary>
/// A typed, read-only view over the data of a structure that honours the file's byte order without
/// copying: when the data are in the machine's order <see cref="TryGetSpan"/> gives a direct span;
/// otherwise the indexer swaps each element on access.
/// </summary>
public readonly ref struct EvioValues<T> where T : unmanaged
{
    private readonly ReadOnlySpan<byte> _raw;
    private readonly bool _swap;

    internal EvioValues(ReadOnlySpan<byte> raw, bool swap)
    {
        _raw = raw;
        _swap = swap && Size > 1;
    }

    private static int Size => Unsafe.SizeOf<T>();

    /// <summary>Number of elements.</summary>
    public int Length => _raw.Length / Size;

    /// <summary>The raw data bytes, in file order.</summary>
    public ReadOnlySpan<byte> RawBytes => _raw;

    /// <summary>Element <paramref name="index"/>, converted to machine order.</summary>
    public T this[int index]
    {
        get
        {
            int size = Size;
            var slice = _raw.Slice(checked(index * size), size);
            if (!_swap) return MemoryMarshal.Read<T>(slice);
            // The size is a constant of T, so the JIT keeps one branch: a byte swap in a register, no copy.
            switch (size)
            {
                case 2:
                {
                    var v = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(MemoryMarshal.Read<ushort>(slice));
                    return Unsafe.As<ushort, T>(ref v);
                }

                case 4:
                {
                    var v = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(MemoryMarshal.Read<uint>(slice));
                    return Unsafe.As<uint, T>(ref v);
                }

                case 8:
                {
                    var v = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(MemoryMarshal.Read<ulong>(slice));
                    return Unsafe.As<ulong, T>(ref v);
                }

                default:
                {
                    Span<byte> tmp = stackalloc byte[8];
                    slice.CopyTo(tmp);
                    tmp[..size].Reverse();
                    return MemoryMarshal.Read<T>(tmp);
                }
            }
        }
    }

    /// <summary>A direct span over the file bytes when no byte swap is needed (zero copy).</summary>
    public bool TryGetSpan(out ReadOnlySpan<T> span)
    {
        if (_swap) { span = default; return false; }
        span = MemoryMarshal.Cast<byte, T>(_raw);
        return true;
    }

    /// <summary>Copies the values, in machine order, into <paramref name="destination"/>.</summary>
    public void CopyTo(Span<T> destination)
    {
        if (destination.Length < Length) throw new ArgumentException("destination too short", nameof(destination));
        if (TryGetSpan(out var span)) { span.CopyTo(destination); return; }
        var n = Length;
        var bytes = _raw[..(n * Size)];
        // Vectorised swaps for the 2-, 4- and 8-byte types; element by element otherwise.
        switch (Size)
        {
            case 2: System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, ushort>(bytes), MemoryMarshal.Cast<T, ushort>(destination[..n])); return;
            case 4: System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, uint>(bytes), MemoryMarshal.Cast<T, uint>(destination[..n])); return;
            case 8: System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, ulong>(bytes), MemoryMarshal.Cast<T, ulong>(destination[..n])); return;
        }

        for (int i = 0; i < n; i++) destination[i] = this[i];
    }

    /// <summary>The values as a new array (allocates).</summary>
    public T[] ToArray()
    {
        var a = new T[Length];
        CopyTo(a);
        return a;
    }

    /// <summary>Enumerates the values in machine order.</summary>
    public Enumerator GetEnumerator() => new(this);

    /// <summary>Allocation-free enumerator of <see cref="EvioValues{T}"/>.</summary>
    public ref struct Enumerator
    {
        private readonly EvioValues<T> _values;
        private int _i;

        internal Enumerator(EvioValues<T> values) { _values = values; _i = -1; }

        public readonly T Current => _values[_i];

        public bool MoveNext() => ++_i < _values.Length;
    }
}
