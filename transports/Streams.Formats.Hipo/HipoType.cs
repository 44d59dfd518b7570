namespace Streams.Formats.Hipo;

/// <summary>
/// Column types of a HIPO 4 bank, with the letter used in schema strings. All are signed and
/// little endian in the data; HIPO has no unsigned types (a <c>B</c> column holds -128..127).
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720", Justification = "The names of the HIPO type letters (byte, short, int, float, double, long).")]
public enum HipoType
{
    /// <summary><c>B</c>: signed 8-bit integer.</summary>
    Byte = 1,
    /// <summary><c>S</c>: signed 16-bit integer.</summary>
    Short = 2,
    /// <summary><c>I</c>: signed 32-bit integer.</summary>
    Int = 3,
    /// <summary><c>F</c>: 32-bit float.</summary>
    Float = 4,
    /// <summary><c>D</c>: 64-bit float.</summary>
    Double = 5,
    /// <summary><c>L</c>: signed 64-bit integer.</summary>
    Long = 8,
}

/// <summary>Sizes and letters of <see cref="HipoType"/>.</summary>
public static class HipoTypes
{
    /// <summary>Bytes one value of the type takes in a bank.</summary>
    public static int SizeOf(HipoType type) => type switch
    {
        HipoType.Byte => 1,
        HipoType.Short => 2,
        HipoType.Int => 4,
        HipoType.Float => 4,
        HipoType.Double => 8,
        HipoType.Long => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a HIPO type"),
    };

    /// <summary>The schema-string letter of the type (B, S, I, F, D, L).</summary>
    public static char ToLetter(HipoType type) => type switch
    {
        HipoType.Byte => 'B',
        HipoType.Short => 'S',
        HipoType.Int => 'I',
        HipoType.Float => 'F',
        HipoType.Double => 'D',
        HipoType.Long => 'L',
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a HIPO type"),
    };

    /// <summary>The type of a schema-string letter; false for any other letter.</summary>
    public static bool TryFromLetter(char letter, out HipoType type)
    {
        switch (letter)
        {
            case 'B': type = HipoType.Byte; return true;
            case 'S': type = HipoType.Short; return true;
            case 'I': type = HipoType.Int; return true;
            case 'F': type = HipoType.Float; return true;
            case 'D': type = HipoType.Double; return true;
            case 'L': type = HipoType.Long; return true;
            default: type = default; return false;
        }
    }
}
