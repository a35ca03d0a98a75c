// The .NET binding's tests: a console program with plain assertions (no NuGet, so no
// xunit), run by tests/dotnet_binding.rs. Usage: mono Tests.exe REPO_ROOT; exits 1 if any
// test fails. Needs libopinio.so on the library path (LD_LIBRARY_PATH).

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Opinio;

static class Tests
{
    static string repo;
    static readonly string[] Reviews = { "The pasta was excellent. Our waiter was rude and slow.", "Great prices!" };

    static string ModelDir { get { return Path.Combine(repo, "models", "restaurants-zero-shot"); } }

    static int Main(string[] args)
    {
        repo = args.Length > 0 ? args[0] : ".";
        try { Console.WriteLine("opinio " + OpinioLib.Version); }
        catch (DllNotFoundException e)
        {
            Console.WriteLine("libopinio not found (" + e.Message + "): put its folder on LD_LIBRARY_PATH");
            return 2;
        }
        var tests = new Dictionary<string, Action>
        {
            { "version", Version },
            { "segment", Segment },
            { "errors carry code and message", Errors },
            { "analyze", Analyze },
            { "threads share one model", Threads },
            { "analyze file reports progress to 100", Progress },
            { "analyze file async", AnalyzeFileAsync },
            { "cancellation", Cancellation },
            { "int8 precision", Int8 },
            { "preview", Preview },
            { "dispose twice", DisposeTwice },
            { "train from a labeled CSV, then cancel", Train },
            { "extractor from a path and from bytes", Extract },
            { "sample for correction", Sample },
        };
        int failed = 0;
        foreach (var test in tests)
        {
            try
            {
                test.Value();
                Console.WriteLine("ok   " + test.Key);
            }
            catch (Exception e)
            {
                failed++;
                Console.WriteLine("FAIL " + test.Key + ": " + e);
            }
        }
        Console.WriteLine("{0} passed, {1} failed", tests.Count - failed, failed);
        return failed == 0 ? 0 : 1;
    }

    static void Assert(bool condition, string what)
    {
        if (!condition) throw new Exception("assertion failed: " + what);
    }

    static void Contains(string haystack, string needle)
    {
        Assert(haystack.Contains(needle), "expected " + needle + " in " + haystack);
    }

    static T Throws<T>(Action action) where T : Exception
    {
        try { action(); }
        catch (T e) { return e; }
        catch (Exception e) { throw new Exception("expected " + typeof(T).Name + ", got " + e.GetType().Name, e); }
        throw new Exception("expected " + typeof(T).Name + ", nothing was thrown");
    }

    static void Version()
    {
        Assert(Regex.IsMatch(OpinioLib.Version, @"^\d+\.\d+\.\d+"), "version " + OpinioLib.Version);
    }

    static void Segment()
    {
        string out1 = OpinioLib.Segment(new[] { "Hello there. How are you?" });
        Contains(out1, "{\"text\":\"Hello there.\",\"span\":[0,12]}");
        Contains(out1, "{\"text\":\"How are you?\",\"span\":[13,25]}");
        // Non-ASCII both ways: code-point spans, so the emoji counts once.
        string out2 = OpinioLib.Segment(new[] { "Café 😀 ist \"gut\". Das Essen war toll!" }, "de");
        Contains(out2, "{\"text\":\"Café 😀 ist \\\"gut\\\".\",\"span\":[0,17]}");
        string out3 = OpinioLib.Segment("{\"documents\": [{\"id\": 7, \"text\": \"Fine, thanks.\"}]}");
        Contains(out3, "\"id\":7");
    }

    static void Errors()
    {
        var e = Throws<OpinioException>(() => OpinioLib.Segment(new[] { "x" }, "fr"));
        Assert(e.Status == OpinioStatus.InvalidArgument && e.Code == 100, "code " + e.Code);
        Contains(e.Message, "\"fr\"");
        e = Throws<OpinioException>(() => Model.Load(Path.Combine(repo, "no-such-model")));
        Assert(e.Code == 100, "missing model: code " + e.Code);
        Contains(e.Message, "no-such-model");
        using (var model = Model.Load(ModelDir))
        {
            e = Throws<OpinioException>(() => model.Analyze("{\"documents\": ["));
            Assert(e.Status == OpinioStatus.Malformed, "bad JSON: " + e.Status);
            Assert(e.Message.Length > 0, "bad JSON has a message");
        }
        Throws<ArgumentNullException>(() => OpinioLib.Preview(null));
    }

    static void Analyze()
    {
        using (var model = Model.Load(ModelDir))
        {
            Contains(model.Meta, "\"type\":\"ABSA\"");
            string json = model.Analyze(Reviews, split: true);
            Contains(json, "\"type\":\"ABSA\"");
            Contains(json, "\"model\":\"Restaurants (zero-shot)\"");
            Contains(json, "\"text\":\"Our waiter was rude and slow.\"");
            Contains(json, "\"label\":\"NEG\"");
            Contains(json, "\"tags\":");
            string whole = model.Analyze("{\"documents\": [{\"id\": \"a\", \"text\": \"" + Reviews[0] + "\"}]}");
            Contains(whole, "\"id\":\"a\"");
            Assert(Regex.Matches(whole, "\"span\"").Count == 1, "split defaults to false: " + whole);
        }
    }

    static void Int8()
    {
        using (var model = Model.Load(ModelDir))
        using (var fast = Model.Load(ModelDir, "{\"precision\": \"int8\"}"))
        {
            // Confidences move in the last digits; the tags must not.
            const string confidence = "\"confidence\":[-0-9.eE+]+,?";
            string a = Regex.Replace(model.Analyze(Reviews, split: true), confidence, "");
            string b = Regex.Replace(fast.Analyze(Reviews, split: true), confidence, "");
            Assert(a == b, "int8 tags differ from fp32: " + b);
        }
        var e = Throws<OpinioException>(() => Model.Load(ModelDir, "{\"precision\": \"int4\"}"));
        Assert(e.Status == OpinioStatus.Malformed, "bad precision: " + e.Status);
        Contains(e.Message, "int4");
    }

    static void Threads()
    {
        using (var model = Model.Load(ModelDir))
        {
            string expected = model.Analyze(Reviews);
            var answers = new string[8];
            Parallel.For(0, answers.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 },
                i => answers[i] = model.Analyze(Reviews));
            Assert(answers.All(a => a == expected), "the same answer on every thread");
        }
    }

    /// <summary>A synchronous IProgress (Progress&lt;T&gt; would post to the thread pool).</summary>
    sealed class Recorder : IProgress<double>
    {
        public readonly List<double> Seen = new List<double>();
        public Action<double> Then;
        public void Report(double value)
        {
            lock (Seen) Seen.Add(value);
            if (Then != null) Then(value);
        }
    }

    static string ReviewsFile(int n)
    {
        string path = Path.Combine(Path.GetTempPath(), "opinio-dotnet-" + Guid.NewGuid().ToString("N") + ".jsonl");
        File.WriteAllLines(path, Enumerable.Range(0, n).Select(i => "{\"id\": " + i + ", \"text\": \"Review " + i + ": lovely food.\"}"));
        return path;
    }

    static void Progress()
    {
        string path = ReviewsFile(5);
        try
        {
            using (var model = Model.Load(ModelDir))
            {
                var progress = new Recorder();
                string json = model.AnalyzeFile(path, new AnalyzeFileOptions { ChunkSize = 2 }, progress);
                Assert(progress.Seen.SequenceEqual(new[] { 0.0, 40.0, 80.0, 100.0 }), "progress " + string.Join(",", progress.Seen));
                Assert(Regex.Matches(json, "\"segments\"").Count == 5, "5 documents: " + json);
                Assert(!json.Contains("\"errors\""), "no errors");
                var e = Throws<OpinioException>(() => model.AnalyzeFile(Path.Combine(repo, "x.pdf")));
                Assert(e.Status == OpinioStatus.Unsupported || e.Status == OpinioStatus.Io, "pdf: " + e.Status);
            }
        }
        finally { File.Delete(path); }
    }

    static void AnalyzeFileAsync()
    {
        string path = ReviewsFile(3);
        try
        {
            using (var model = Model.Load(ModelDir))
            {
                var progress = new Recorder();
                var options = new AnalyzeFileOptions { Split = true, ChunkSize = 1 };
                string json = model.AnalyzeFileAsync(path, options, progress).GetAwaiter().GetResult();
                Assert(progress.Seen.Last() == 100.0, "progress reaches 100: " + string.Join(",", progress.Seen));
                Assert(Regex.Matches(json, "\"segments\"").Count == 3, "3 documents: " + json);
            }
        }
        finally { File.Delete(path); }
    }

    static void Cancellation()
    {
        string path = ReviewsFile(6);
        try
        {
            using (var model = Model.Load(ModelDir))
            using (var cts = new CancellationTokenSource())
            {
                var options = new AnalyzeFileOptions { ChunkSize = 2 };
                var progress = new Recorder { Then = p => { if (p >= 30) cts.Cancel(); } };
                var e = Throws<OperationCanceledException>(() => model.AnalyzeFile(path, options, progress, cts.Token));
                var inner = e.InnerException as OpinioException;
                Assert(inner != null && inner.Status == OpinioStatus.Cancelled && inner.Code == 106, "inner: " + e.InnerException);
                Contains(inner.Message, "cancelled after 2");
                Assert(e.CancellationToken == cts.Token, "the caller's token");
                Assert(progress.Seen.Max() < 100, "stopped early");

                // The same through the async API: the task ends cancelled.
                using (var cts2 = new CancellationTokenSource())
                {
                    var progress2 = new Recorder { Then = p => { if (p > 0) cts2.Cancel(); } };
                    var task = model.AnalyzeFileAsync(path, options, progress2, cts2.Token);
                    Throws<OperationCanceledException>(() => task.GetAwaiter().GetResult());
                    Assert(task.IsCanceled, "task cancelled: " + task.Status);
                }
                // A callback that throws stops the batch, and its exception comes back.
                var boom = new Recorder { Then = p => { if (p > 0) throw new InvalidDataException("stop here"); } };
                Throws<InvalidDataException>(() => model.AnalyzeFile(path, options, boom));
                // A token cancelled beforehand: nothing runs.
                Throws<OperationCanceledException>(() => model.AnalyzeFile(path, options, null, cts.Token));
            }
        }
        finally { File.Delete(path); }
    }

    static void Preview()
    {
        string json = OpinioLib.Preview(Path.Combine(repo, "tests", "fixtures", "ingest", "seed_preview.csv"));
        Contains(json, "[\"another_column\",\"document\",\"review_source\"]");
    }

    static void DisposeTwice()
    {
        var model = Model.Load(ModelDir);
        model.Dispose();
        model.Dispose();
        Throws<ObjectDisposedException>(() => model.Analyze(Reviews));
    }

    static void Train()
    {
        string dir = Path.Combine(Path.GetTempPath(), "opinio-dotnet-" + Guid.NewGuid().ToString("N"));
        string labeled = Path.Combine(repo, "tests", "fixtures", "labeled", "reviews_absa.csv").Replace("\\", "/");
        string options = "{\"type\": \"ABSA\", \"train\": \"" + labeled + "\", \"out\": \"" + dir.Replace("\\", "/")
            + "\", \"epochs\": 1, \"name\": \"Mine\", \"column_mapping\": {\"text\": \"review\", \"aspect\": \"aspect\", \"label\": \"sentiment\"}}";
        try
        {
            var progress = new Recorder();
            string meta = OpinioLib.Train(options, progress);
            Contains(meta, "\"name\":\"Mine\"");
            Contains(meta, "\"score\":");
            Assert(progress.Seen.Count > 0 && progress.Seen.Last() == 100.0, "progress to 100: " + string.Join(",", progress.Seen));
            using (var model = Model.Load(dir))
                Contains(model.Analyze(new[] { "The soup was cold." }), "\"type\":\"ABSA\"");
            Directory.Delete(dir, true);

            using (var cts = new CancellationTokenSource())
            {
                var stop = new Recorder { Then = p => cts.Cancel() };
                Throws<OperationCanceledException>(() => OpinioLib.Train(options, stop, cts.Token));
                Assert(!Directory.Exists(dir), "nothing written when cancelled");
            }
            var e = Throws<OpinioException>(() => OpinioLib.Train(options.Replace("\"review\"", "\"nope\"")));
            Contains(e.Message, "nope");
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    static void Extract()
    {
        string receipt = Path.Combine(repo, "tests", "fixtures", "extract", "receipt.words.json");
        using (var extractor = Extractor.Load(Path.Combine(repo, "models", "receipts")))
        {
            string byPath = extractor.ExtractFile(receipt);
            Contains(byPath, "\"hitl\"");
            Contains(byPath, "\"25.50\"");
            Assert(!byPath.Contains("annotated_pages"), "no pages unless asked");
            string byBytes = extractor.ExtractBytes("receipt.words.json", File.ReadAllBytes(receipt), annotatedPages: true);
            Contains(byBytes, "\"25.50\"");
            Contains(byBytes, "\"annotated_pages\"");
            Throws<OpinioException>(() => extractor.ExtractBytes("receipt.words.json", new byte[] { 1, 2, 3 }));
        }
        Throws<OpinioException>(() => Extractor.Load(Path.Combine(repo, "models", "no-such-model")));
    }

    static void Sample()
    {
        using (var model = Model.Load(ModelDir))
        {
            string json = model.Sample(new[] { "Great food.", "The waiter was rude.", "We went on a Tuesday.", "Cheap." }, 2);
            Contains(json, "\"predicted_score\"");
            Assert(Regex.Matches(json, "\"segments\"").Count == 2, "two documents picked: " + json);
            Throws<OpinioException>(() => model.Sample(Reviews, 0));
        }
    }
}
