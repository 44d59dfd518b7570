using Apache.Arrow;
using Streams.Engine.Batches;
using Streams.Engine.Operators;
using Streams.Engine.Runtime;

namespace Streams.Operators.Tests;

/// <summary>What the HIPO operator tests share: the JLab fixture files, and a sink that hands each batch to a callback.</summary>
internal static class HipoTestKit
{
    /// <summary>The folder of the JLab format fixtures (<c>../shared/fixtures/jlab-formats</c> from the repository root).</summary>
    public static string FixtureDir => Path.GetFullPath(Path.Combine(Repository.Root, "..", "shared", "fixtures", "jlab-formats"));

    /// <summary>hipo4.hipo, written by gavalian/hipo (20 events); fails the test when it is missing.</summary>
    public static string Fixture
    {
        get
        {
            var path = Path.Combine(FixtureDir, "hipo4.hipo");
            Assert.True(File.Exists(path), $"fixture missing: {path}");
            return path;
        }
    }

    /// <summary>The C++ reader's dump of the fixture; fails the test when it is missing.</summary>
    public static string FixtureDump
    {
        get
        {
            var path = Path.Combine(FixtureDir, "hipo4.dump.txt");
            Assert.True(File.Exists(path), $"fixture missing: {path}");
            return path;
        }
    }

    /// <summary>A sink operator named <paramref name="name"/> that calls <paramref name="onBatch"/> for each batch (under a lock).</summary>
    public static OperatorDescriptor Probe(string name, Action<EventBatch> onBatch) => new()
    {
        Name = name,
        Kind = OperatorKind.Sink,
        Description = "test probe",
        MaxWorkers = 1,
        Factory = () => new ProbeSink(onBatch),
    };

    /// <summary>The values of row <paramref name="row"/> of a list column, as doubles.</summary>
    public static double[] List(RecordBatch records, string column, int row)
    {
        var list = (ListArray)records.Column(column);
        var (start, end) = (list.ValueOffsets[row], list.ValueOffsets[row + 1]);
        var values = new double[end - start];
        for (var k = start; k < end; k++)
        {
            values[k - start] = list.Values switch
            {
                UInt8Array a => a.GetValue(k) ?? 0,
                Int8Array a => a.GetValue(k) ?? 0,
                UInt16Array a => a.GetValue(k) ?? 0,
                Int16Array a => a.GetValue(k) ?? 0,
                Int32Array a => a.GetValue(k) ?? 0,
                Int64Array a => a.GetValue(k) ?? 0,
                FloatArray a => a.GetValue(k) ?? 0,
                DoubleArray a => a.GetValue(k) ?? 0,
                _ => throw new InvalidOperationException(list.Values.GetType().Name),
            };
        }

        return values;
    }

    private sealed class ProbeSink(Action<EventBatch> onBatch) : ISink
    {
        private static readonly Lock Gate = new();

        public void Configure(OperatorConfig config)
        {
        }

        public void Reset()
        {
        }

        public void Write(EventBatch batch, ProcessContext context)
        {
            lock (Gate) onBatch(batch);
        }

        public void Flush()
        {
        }

        public void Dispose()
        {
        }
    }
}
