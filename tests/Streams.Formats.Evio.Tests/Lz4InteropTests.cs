using System.Runtime.InteropServices;

namespace Streams.Formats.Evio.Tests;

/// <summary>
/// Cross-checks our LZ4 records against liblz4 (the library JLab's evio links), loaded at run time:
/// liblz4's decoder reads what we write, and liblz4's encoder reproduces JLab's records.
/// liblz4.so.1 (Debian liblz4-1) is installed by deploy/scripts/install-test-deps.sh; without it the test fails and says so.
/// </summary>
public class Lz4InteropTests
{
    private delegate int Decompress(ref byte src, ref byte dst, int compressedSize, int dstCapacity);

    private delegate int Compress(ref byte src, ref byte dst, int srcSize, int dstCapacity, int acceleration);

    private static bool TryLoad(out Decompress decompress, out Compress compress)
    {
        decompress = null!;
        compress = null!;
        if (!NativeLibrary.TryLoad("liblz4.so.1", out var lib)) return false;
        decompress = Marshal.GetDelegateForFunctionPointer<Decompress>(NativeLibrary.GetExport(lib, "LZ4_decompress_safe"));
        compress = Marshal.GetDelegateForFunctionPointer<Compress>(NativeLibrary.GetExport(lib, "LZ4_compress_fast"));
        return true;
    }

    [Fact]
    public void Liblz4_decodes_our_records_and_reencodes_JLab_records_identically()
    {
        Assert.True(TryLoad(out var decompress, out var compress), "liblz4.so.1 is missing: install Debian liblz4-1 (deploy/scripts/install-test-deps.sh)");
        var ms = new MemoryStream();
        using (var w = new EvioWriter(ms, new EvioWriterOptions { Compression = EvioCompression.Lz4, MaxEventsPerRecord = 2, LeaveOpen = true }))
            for (int i = 1; i <= 5; i++) w.WriteEvent(FixtureContent.Event(i));
        var ours = ms.ToArray();
        var theirs = Fixtures.Bytes("evio6-lz4.evio");
        var ourRecords = new EvioReader(ours).ReadRecordHeaders().Where(h => !h.IsTrailer).ToList();
        var theirRecords = new EvioReader(theirs).ReadRecordHeaders().Where(h => !h.IsTrailer).ToList();
        for (int r = 0; r < 3; r++)
        {
            // The uncompressed content: index + events, as JLab's plain file holds them.
            var h = ourRecords[r];
            int plainBytes = (int)(h.IndexBytes + h.DataBytes);
            var plain = new byte[plainBytes];
            int n = decompress(ref ours[(int)h.Offset + 56], ref plain[0], (int)h.CompressedBytes, plain.Length);
            Assert.Equal(plainBytes, n);
            var jlab = theirRecords[r];
            var jlabPlain = new byte[plainBytes];
            Assert.Equal(plainBytes, decompress(ref theirs[(int)jlab.Offset + 56], ref jlabPlain[0], (int)jlab.CompressedBytes, plainBytes));
            Assert.Equal(jlabPlain, plain);
            // liblz4's LZ4_compress_fast(acceleration 1) gives exactly JLab's compressed bytes.
            var packed = new byte[plainBytes + plainBytes / 255 + 16];
            int c = compress(ref plain[0], ref packed[0], plainBytes, packed.Length, 1);
            Assert.Equal(theirs.AsSpan((int)jlab.Offset + 56, (int)jlab.CompressedBytes).ToArray(), packed.AsSpan(0, c).ToArray());
        }
    }
}
