using System.Text;

namespace Streams.Cli.Display;

/// <summary>
/// A <see cref="TextWriter"/> for the run log while the live view owns the terminal: keeps every line (printed
/// after the view closes) and shows the last few inside it.
/// </summary>
internal sealed class LogTail : TextWriter
{
    private readonly Lock _gate = new();
    private readonly List<string> _lines = [];
    private readonly StringBuilder _current = new();

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        lock (_gate)
        {
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
}
