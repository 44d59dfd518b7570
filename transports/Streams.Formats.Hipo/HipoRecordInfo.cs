namespace Streams.Formats.Hipo;

/// <summary>A data record of a HIPO file, as the index record or a scan found it.</summary>
/// <param name="Position">Byte offset of the record header in the file.</param>
/// <param name="Length">Bytes of the record, header included.</param>
/// <param name="EventCount">Events in the record.</param>
/// <param name="FirstEvent">File-wide index of the record's first event.</param>
/// <param name="UserWordOne">Record header words 11-12 (the event tag for tagged records).</param>
/// <param name="UserWordTwo">Record header words 13-14.</param>
public readonly record struct HipoRecordInfo(long Position, int Length, int EventCount, long FirstEvent, long UserWordOne, long UserWordTwo);
