using System.Buffers;
using System.IO.MemoryMappedFiles;

namespace Streams.Formats.Evio;

/// <summary>
/// An EVIO file mapped into memory (read only): events of uncompressed records are views over the
/// mapping, so nothing is copied. Dispose it to unmap; views must not be used after that.
/// </summary>
public sealed class EvioFile : IDisposable
{
    private readonly MappedMemory _memory;

    private EvioFile(MappedMemory memory, EvioReaderOptions? options)
    {
        _memory = memory;
        try { Reader = new EvioReader(memory.Memory, options); }
        catch { ((IDisposable)memory).Dispose(); throw; }
    }

    /// <summary>Maps <paramref name="path"/> and reads its header.</summary>
    /// <exception cref="EvioFormatException">The file is empty or its header is malformed.</exception>
    /// <exception cref="NotSupportedException">The file is larger than 2 GiB.</exception>
    public static EvioFile Open(string path, EvioReaderOptions? options = null)
    {
        long length = new FileInfo(path).Length;
        if (length == 0) throw new EvioFormatException("empty file", 0);
        if (length > int.MaxValue) throw new NotSupportedException("EVIO files over 2 GiB are not supported by EvioFile");
        return new EvioFile(new MappedMemory(path, (int)length), options);
    }

    /// <summary>The reader over the mapped bytes.</summary>
    public EvioReader Reader { get; }

    public int Version => Reader.Version;

    public bool IsBigEndian => Reader.IsBigEndian;

    public string? Dictionary => Reader.Dictionary;

    public EvioNode? FirstEvent => Reader.FirstEvent;

    public EvioFileHeader? FileHeader => Reader.FileHeader;

    public EvioEventCollection Events => Reader.Events;

    public void Dispose() => ((IDisposable)_memory).Dispose();

    /// <summary>Memory over a read-only mapped view.</summary>
    private sealed unsafe class MappedMemory : MemoryManager<byte>
    {
        private readonly MemoryMappedFile _file;
        private readonly MemoryMappedViewAccessor _view;
        private readonly int _length;
        private byte* _pointer;

        public MappedMemory(string path, int length)
        {
            _length = length;
            _file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            try
            {
                _view = _file.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
                byte* p = null;
                _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                _pointer = p + _view.PointerOffset;
            }
            catch
            {
                _view?.Dispose();
                _file.Dispose();
                throw;
            }
        }

        public override Span<byte> GetSpan()
        {
            ObjectDisposedException.ThrowIf(_pointer == null, this);
            return new Span<byte>(_pointer, _length);
        }

        public override MemoryHandle Pin(int elementIndex = 0) => new(_pointer + elementIndex);

        public override void Unpin() { }

        protected override void Dispose(bool disposing)
        {
            if (_pointer == null) return;
            _pointer = null;
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _file.Dispose();
        }
    }
}
