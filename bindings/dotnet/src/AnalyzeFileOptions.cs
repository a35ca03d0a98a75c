using System.Globalization;
using System.Text;

namespace Opinio
{
    /// <summary>How <see cref="Model.AnalyzeFile"/> reads a file; null properties take the
    /// library's defaults.</summary>
    public sealed class AnalyzeFileOptions
    {
        /// <summary>Segment documents into sentences (default false: one segment per document).</summary>
        public bool Split { get; set; }
        /// <summary>CSV/XLSX: the text column's index.</summary>
        public int? Column { get; set; }
        /// <summary>CSV/XLSX: the text column's name (implies <see cref="HeaderFirst"/>).</summary>
        public string ColumnName { get; set; }
        /// <summary>CSV/XLSX: the first row is the header.</summary>
        public bool HeaderFirst { get; set; }
        /// <summary>Keep a record's other columns as "meta".</summary>
        public bool Meta { get; set; }
        /// <summary>Documents analysed between progress reports (library default 256).</summary>
        public int? ChunkSize { get; set; }

        /// <summary>The options object of opinio_analyze_batch.</summary>
        public string ToJson()
        {
            var sb = new StringBuilder("{\"split\":").Append(Json.Bool(Split))
                .Append(",\"header_first\":").Append(Json.Bool(HeaderFirst))
                .Append(",\"meta\":").Append(Json.Bool(Meta));
            if (Column.HasValue) sb.Append(",\"column\":").Append(Column.Value.ToString(CultureInfo.InvariantCulture));
            if (ColumnName != null) sb.Append(",\"column_name\":").Append(Json.Quote(ColumnName));
            if (ChunkSize.HasValue) sb.Append(",\"chunk_size\":").Append(ChunkSize.Value.ToString(CultureInfo.InvariantCulture));
            return sb.Append('}').ToString();
        }
    }
}
