// Just enough JSON writing to build requests from .NET values. Mono's class libraries have
// no System.Text.Json, so results are returned as raw JSON strings: parse them with the JSON
// library of your choice (System.Text.Json, Newtonsoft.Json, UiPath's Deserialize JSON).

using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Opinio
{
    internal static class Json
    {
        /// <summary>s as a JSON string literal, quotes included; "null" for null.</summary>
        public static string Quote(string s)
        {
            if (s == null) return "null";
            var sb = new StringBuilder(s.Length + 2);
            sb.Append('"');
            foreach (char c in s)
            {
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\r': sb.Append("\\r"); break;
                    case '\t': sb.Append("\\t"); break;
                    default:
                        if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        else sb.Append(c); // surrogate pairs pass through and become UTF-8 on encoding
                        break;
                }
            }
            return sb.Append('"').ToString();
        }

        /// <summary>A "documents" array of {"text": ...} objects.</summary>
        public static string Documents(IEnumerable<string> texts)
        {
            var sb = new StringBuilder("[");
            foreach (string text in texts)
            {
                if (sb.Length > 1) sb.Append(',');
                sb.Append("{\"text\":").Append(Quote(text)).Append('}');
            }
            return sb.Append(']').ToString();
        }

        public static string Bool(bool b) { return b ? "true" : "false"; }
    }
}
