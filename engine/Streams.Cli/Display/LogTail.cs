using System.Text;

namespace Streams.Cli.Display;

/// <summary>
/// A <see cref="TextWriter"/> for the run log while the live view owns the terminal: keeps every line (printed
/// after the view closes, <see cref="Release"/>) and shows the last few inside it.
/// </summary>
internal sealed class LogTail : TextWriter
{
    private readonly Lock _gate = new();
    private readonly List<string> _lines = [];
    private readonly StringBuilder _current = new();
    private TextWriter? _released;

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        lock (_gate)
        {
            if (_released is not null)
            {
                _released.Write(value);
                return;
            }

            if (value == '\n')
            {
                _lines.Add(_current.ToString());
                _current.Clear();
            }
            else if (value != '\r')
            {
                _current.Append(value);
            }
        }
    }

    public IReadOnlyList<string> Last(int n)
    {
        lock (_gate) return _lines.Skip(Math.Max(0, _lines.Count - n)).ToList();
    }

    public IReadOnlyList<string> All()
    {
        lock (_gate) return [.. _lines];
    }

    /// <summary>The view has closed: prints every line kept to <paramref name="to"/>, once, and passes what follows straight on.</summary>
    public void Release(TextWriter to)
    {
        ArgumentNullException.ThrowIfNull(to);
        lock (_gate)
        {
            foreach (var line in _lines) to.WriteLine(line);
            if (_current.Length > 0) to.Write(_current.ToString());
            _lines.Clear();
            _current.Clear();
            _released = to;
        }
    }
}
