using System;

namespace Opinio
{
    /// <summary>The status codes of include/opinio.h (never renumbered).</summary>
    public enum OpinioStatus
    {
        Ok = 0,
        InvalidArgument = 100,
        Io = 101,
        InvalidUtf8 = 102,
        Malformed = 103,
        Unsupported = 104,
        LimitExceeded = 105,
        Cancelled = 106,
        Internal = 107,
        NullArgument = 200,
        InvalidUtf8Argument = 201,
        Panic = 202,
    }

    /// <summary>A call into opinio failed: <see cref="Code"/> is the library's status and
    /// <see cref="Exception.Message"/> its message (from opinio_last_error).</summary>
    public class OpinioException : Exception
    {
        public OpinioException(int code, string message) : base(message)
        {
            Code = code;
        }

        /// <summary>The raw status code (100-199: the library's errors, 200-299: the boundary's).</summary>
        public int Code { get; private set; }

        /// <summary>The status as an enum; a code unknown to this binding keeps its number.</summary>
        public OpinioStatus Status { get { return (OpinioStatus)Code; } }
    }
}
