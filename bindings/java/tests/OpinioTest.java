// The Java binding's tests (JUnit 4), run by tests/java_binding.rs against opinio.jar
// (bindings/java/build-jar.sh), which carries libopinio.so, with nothing else but JNA:
//   java -Dopinio.repo=REPO -Dopinio.bundled=BUILT_LIB \
//       -cp jna.jar:junit4.jar:hamcrest.jar:opinio.jar:TEST_CLASSES org.junit.runner.JUnitCore OpinioTest
// (or with -Djna.library.path=DIR and the classes instead of the JAR). JUnitCore exits 1 when a
// test fails.

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.sun.jna.NativeLibrary;
import opinio.Extractor;
import opinio.Model;
import opinio.Opinio;
import opinio.OpinioException;
import org.junit.AfterClass;
import org.junit.Assume;
import org.junit.BeforeClass;
import org.junit.Test;

public class OpinioTest {
    static final Path REPO = Path.of(System.getProperty("opinio.repo", "."));
    static final String MODEL = REPO.resolve("models/restaurants-zero-shot").toString();
    static final List<String> REVIEWS = List.of("The pasta was excellent. Our waiter was rude and slow.", "Great prices!");

    static Model model;

    @BeforeClass
    public static void load() {
        model = Model.load(MODEL);
    }

    @AfterClass
    public static void close() {
        model.close();
    }

    static int count(String haystack, String needle) {
        Matcher m = Pattern.compile(Pattern.quote(needle)).matcher(haystack);
        int n = 0;
        while (m.find()) n++;
        return n;
    }

    static void assertContains(String haystack, String needle) {
        assertTrue("expected " + needle + " in " + haystack, haystack.contains(needle));
    }

    static Path reviewsFile(int n) throws IOException {
        Path path = Files.createTempFile("opinio-java", ".jsonl");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) sb.append("{\"id\": ").append(i).append(", \"text\": \"Review ").append(i).append(": lovely food.\"}\n");
        return Files.writeString(path, sb);
    }

    /** With -Dopinio.bundled=BUILT_LIB: the library came out of the JAR, not from BUILT_LIB's folder. */
    @Test
    public void libraryComesFromTheJar() {
        String built = System.getProperty("opinio.bundled");
        Assume.assumeTrue(built != null);
        URL resource = Opinio.class.getClassLoader().getResource("linux-x86-64/libopinio.so");
        assertTrue("no linux-x86-64/libopinio.so on the classpath", resource != null);
        assertEquals("jar", resource.getProtocol());
        File loaded = NativeLibrary.getInstance("opinio").getFile();
        assertNotEquals(new File(built).getAbsoluteFile(), loaded.getAbsoluteFile());
        assertNull(System.getProperty("jna.library.path"));
    }

    @Test
    public void version() {
        assertTrue(Opinio.version(), Opinio.version().matches("\\d+\\.\\d+\\.\\d+.*"));
    }

    @Test
    public void segment() {
        String out = Opinio.segment(List.of("Hello there. How are you?"), null);
        assertContains(out, "{\"text\":\"Hello there.\",\"span\":[0,12]}");
        assertContains(out, "{\"text\":\"How are you?\",\"span\":[13,25]}");
        // Non-ASCII both ways; spans count code points, so the emoji is one.
        String german = Opinio.segment(List.of("Café 😀 ist \"gut\". Das Essen war toll!"), "de");
        assertContains(german, "{\"text\":\"Café 😀 ist \\\"gut\\\".\",\"span\":[0,17]}");
        assertContains(Opinio.segment("{\"documents\": [{\"id\": 7, \"text\": \"Fine, thanks.\"}]}"), "\"id\":7");
    }

    @Test
    public void errorsCarryCodeAndMessage() {
        OpinioException e = assertThrows(OpinioException.class, () -> Opinio.segment(List.of("x"), "fr"));
        assertEquals(OpinioException.INVALID_ARGUMENT, e.code());
        assertContains(e.getMessage(), "\"fr\"");
        e = assertThrows(OpinioException.class, () -> Model.load(REPO.resolve("no-such-model").toString()));
        assertEquals(100, e.code());
        assertContains(e.getMessage(), "no-such-model");
        e = assertThrows(OpinioException.class, () -> model.analyze("{\"documents\": ["));
        assertEquals(OpinioException.MALFORMED, e.code());
        assertFalse(e.getMessage().isEmpty());
        assertThrows(NullPointerException.class, () -> Opinio.preview(null));
    }

    @Test
    public void analyze() {
        assertContains(model.meta(), "\"type\":\"ABSA\"");
        String out = model.analyze(REVIEWS, true);
        assertContains(out, "\"type\":\"ABSA\"");
        assertContains(out, "\"model\":\"Restaurants (zero-shot)\"");
        assertContains(out, "\"text\":\"Our waiter was rude and slow.\"");
        assertContains(out, "\"label\":\"NEG\"");
        String whole = model.analyze("{\"documents\": [{\"id\": \"a\", \"text\": \"" + REVIEWS.get(0) + "\"}]}");
        assertContains(whole, "\"id\":\"a\"");
        assertEquals("split defaults to false", 1, count(whole, "\"span\""));
    }

    @Test
    public void int8PrecisionLoadsAndAgreesWithFp32() {
        try (Model fast = Model.load(MODEL, "{\"precision\": \"int8\"}")) {
            // Confidences move in the last digits; the tags must not.
            String confidence = "\"confidence\":[-0-9.eE+]+,?";
            assertEquals(model.analyze(REVIEWS, true).replaceAll(confidence, ""),
                    fast.analyze(REVIEWS, true).replaceAll(confidence, ""));
        }
        OpinioException e = assertThrows(OpinioException.class, () -> Model.load(MODEL, "{\"precision\": \"int4\"}"));
        assertEquals(OpinioException.MALFORMED, e.code());
        assertContains(e.getMessage(), "int4");
    }

    @Test
    public void threadsShareOneModel() throws Exception {
        String expected = model.analyze(REVIEWS, true);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<String>> answers = new ArrayList<>();
            for (int i = 0; i < 8; i++) answers.add(pool.submit(() -> model.analyze(REVIEWS, true)));
            for (Future<String> answer : answers) assertEquals(expected, answer.get());
        } finally {
            pool.shutdown();
        }
    }

    @Test
    public void analyzeFileReportsProgressTo100() throws IOException {
        Path path = reviewsFile(5);
        try {
            List<Double> seen = new ArrayList<>();
            List<Long> done = new ArrayList<>();
            String out = model.analyzeFile(path.toString(), "{\"chunk_size\": 2}", (p, d) -> {
                seen.add(p);
                done.add(d);
                return true;
            });
            assertEquals(List.of(0.0, 40.0, 80.0, 100.0), seen);
            assertEquals(List.of(0L, 2L, 4L, 5L), done);
            assertEquals(5, count(out, "\"segments\""));
            assertFalse(out.contains("\"errors\""));
            assertEquals(5, count(model.analyzeFile(path.toString(), null, null), "\"segments\""));
            OpinioException e = assertThrows(OpinioException.class,
                    () -> model.analyzeFile(REPO.resolve("x.pdf").toString(), null, null));
            assertTrue(e.getMessage(), e.code() == OpinioException.UNSUPPORTED || e.code() == OpinioException.IO);
        } finally {
            Files.delete(path);
        }
    }

    @Test
    public void analyzeFileCancels() throws IOException {
        Path path = reviewsFile(6);
        try {
            List<Double> seen = new ArrayList<>();
            OpinioException e = assertThrows(OpinioException.class,
                    () -> model.analyzeFile(path.toString(), "{\"chunk_size\": 2}", (p, d) -> seen.add(p) && d < 2));
            assertEquals(OpinioException.CANCELLED, e.code());
            assertTrue(e.isCancelled());
            assertContains(e.getMessage(), "cancelled after 2");
            assertEquals(List.of(0.0, 100.0 / 3), seen);
            // A listener that throws stops the batch, and its exception comes back.
            IllegalStateException boom = assertThrows(IllegalStateException.class,
                    () -> model.analyzeFile(path.toString(), "{\"chunk_size\": 2}", (p, d) -> {
                        if (d > 0) throw new IllegalStateException("stop here");
                        return true;
                    }));
            assertEquals("stop here", boom.getMessage());
        } finally {
            Files.delete(path);
        }
    }

    @Test
    public void preview() {
        String out = Opinio.preview(REPO.resolve("tests/fixtures/ingest/seed_preview.csv").toString());
        assertContains(out, "[\"another_column\",\"document\",\"review_source\"]");
    }

    @Test
    public void closeTwiceAndTryWithResources() {
        Model m;
        try (Model opened = Model.load(MODEL)) {
            m = opened;
            assertContains(m.analyze(REVIEWS, false), "\"tags\"");
        }
        m.close();
        assertThrows(IllegalStateException.class, () -> m.analyze(REVIEWS, true));
        assertContains(m.toString(), "closed");
        assertNotEquals(model, m);
    }

    @Test
    public void sampleForCorrection() {
        String out = model.sample(List.of("Great food.", "The waiter was rude.", "We went on a Tuesday.", "Cheap."), 2);
        assertContains(out, "\"predicted_score\"");
        assertEquals(2, count(out, "\"segments\""));
        assertThrows(OpinioException.class, () -> model.sample(REVIEWS, 0));
    }

    /** A path as a JSON string (test paths hold no quotes or control characters). */
    static String json(String path) {
        return "\"" + path.replace("\\", "/") + "\"";
    }

    @Test
    public void trainFromALabeledCsvThenCancel() throws IOException {
        Path dir = Files.createTempDirectory("opinio-java-");
        Path out = dir.resolve("mine");
        String labeled = REPO.resolve("tests/fixtures/labeled/reviews_absa.csv").toString();
        String options = "{\"type\": \"ABSA\", \"train\": " + json(labeled) + ", \"out\": " + json(out.toString())
                + ", \"epochs\": 1, \"name\": \"Mine\", \"column_mapping\": {\"text\": \"review\", \"aspect\": \"aspect\", \"label\": \"sentiment\"}}";
        List<Double> seen = new ArrayList<>();
        String meta = Opinio.train(options, (p, step) -> seen.add(p));
        assertContains(meta, "\"name\":\"Mine\"");
        assertContains(meta, "\"score\":");
        assertEquals(100.0, seen.get(seen.size() - 1), 1e-9);
        try (Model mine = Model.load(out.toString())) {
            assertContains(mine.analyze(List.of("The soup was cold."), false), "\"type\":\"ABSA\"");
        }
        Path other = dir.resolve("cancelled");
        OpinioException e = assertThrows(OpinioException.class,
                () -> Opinio.train(options.replace(out.toString(), other.toString()), (p, step) -> false));
        assertTrue(e.isCancelled());
        assertFalse(Files.exists(other));
        OpinioException bad = assertThrows(OpinioException.class,
                () -> Opinio.train(options.replace("\"review\"", "\"nope\""), null));
        assertContains(bad.getMessage(), "nope");
    }

    @Test
    public void extractorFromAPathAndFromBytes() throws IOException {
        Path receipt = REPO.resolve("tests/fixtures/extract/receipt.words.json");
        try (Extractor extractor = Extractor.load(REPO.resolve("models/receipts").toString())) {
            String byPath = extractor.extractFile(receipt.toString(), false);
            assertContains(byPath, "\"25.50\"");
            assertFalse(byPath.contains("annotated_pages"));
            String byBytes = extractor.extractBytes("receipt.words.json", Files.readAllBytes(receipt), true);
            assertContains(byBytes, "\"25.50\"");
            assertContains(byBytes, "\"annotated_pages\"");
            assertThrows(OpinioException.class, () -> extractor.extractBytes("receipt.words.json", new byte[] {1, 2, 3}, false));
        }
        assertThrows(OpinioException.class, () -> Extractor.load(REPO.resolve("models/no-such-model").toString()));
    }
}
