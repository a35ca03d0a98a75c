/*
 * A concurrency stress run: THREADS threads share one model and one extractor for SECONDS
 * seconds, mixing ad-hoc analysis, sampling, batch files (some cancelled), extraction by
 * path and from bytes, and bad input. Every answer (status and JSON) must equal the one
 * the same call gave on one thread before the threads started.
 *
 *   cc stress.c $(pkg-config --cflags --libs opinio) -lpthread -o stress
 *   ./stress MODEL_DIR EXTRACTOR_DIR DOCUMENT REVIEWS_JSONL SECONDS [THREADS [CALLS]]
 *
 * CALLS, when given, stops each thread after that many calls even if time is left (under
 * valgrind, where one analysis takes seconds).
 * DOCUMENT is read by path and from memory (a scan, a PDF or a words.json file).
 * Prints {"threads", "seconds", "calls", "mismatches"}; exit status 0 when every answer
 * matched, 1 otherwise.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c11 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "opinio.h"

static const OpinioModel *model;
static const OpinioExtractor *extractor;
static const char *document_path;
static const char *reviews_path;
static unsigned char *document_bytes;
static size_t document_len;

static const char *ANALYZE =
    "{\"documents\": [{\"id\": 1, \"text\": \"The steak was overcooked. The staff were lovely though.\"},"
    " {\"id\": \"b\", \"text\": \"Too expensive for such small portions.\"}], \"split\": true}";
static const char *ANALYZE_WHOLE =
    "{\"documents\": [{\"text\": \"Great wine list, slow kitchen.\"}, {\"text\": \"\"},"
    " {\"text\": \"We waited an hour for a cold pizza and nobody said sorry.\"}]}";
static const char *SAMPLE =
    "{\"documents\": [{\"text\": \"Great food.\"}, {\"text\": \"The waiter was rude.\"},"
    " {\"text\": \"We went on a Tuesday.\"}, {\"text\": \"Cheap.\"}, {\"text\": \"Loud but fun.\"}], \"size\": 3}";

static int32_t keep_going(double percent, uint64_t done, void *user_data) {
    (void)percent, (void)done, (void)user_data;
    return 0;
}

static int32_t cancel_at_once(double percent, uint64_t done, void *user_data) {
    (void)percent, (void)done, (void)user_data;
    return 1;
}

#define OPS 10

/* A batch's JSON says when it was created and finished: blank those times in place so
 * that answers can be compared. */
static void blank_times(char *json) {
    static const char *keys[] = {"\"created\":\"", "\"finished\":\""};
    for (int k = 0; json != NULL && k < 2; k++) {
        for (char *at = strstr(json, keys[k]); at != NULL; at = strstr(at, keys[k])) {
            at += strlen(keys[k]);
            while (*at != '\0' && *at != '"') *at++ = '0';
        }
    }
}

/* Runs operation `op`; returns its status and puts its JSON (or NULL) in *json. */
static int32_t call(int op, char **json) {
    *json = NULL;
    switch (op) {
    case 0: return opinio_analyze(model, ANALYZE, json);
    case 1: return opinio_analyze(model, ANALYZE_WHOLE, json);
    case 2: return opinio_sample(model, SAMPLE, json);
    case 3: {
        int32_t status = opinio_analyze_batch(model, reviews_path, "{\"split\": true, \"chunk_size\": 3}", keep_going, NULL, json);
        blank_times(*json);
        return status;
    }
    case 4: return opinio_analyze_batch(model, reviews_path, NULL, cancel_at_once, NULL, json);
    case 5: return opinio_extract_file(extractor, document_path, NULL, json);
    case 6: return opinio_extract_bytes(extractor, document_path, document_bytes, document_len, NULL, json);
    case 7: return opinio_analyze(model, "{\"documents\": [{\"text\": 12}]}", json);
    case 8: return opinio_extract_bytes(extractor, "junk.pdf", (const unsigned char *)"%PDF-1.4 junk", 13, NULL, json);
    default: return opinio_analyze(model, NULL, json);
    }
}

static int32_t expected_status[OPS];
static char *expected_json[OPS];

struct job {
    int index;
    double seconds;
    long max_calls;
    long calls;
    long mismatches;
};

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *work(void *arg) {
    struct job *job = arg;
    double end = now() + job->seconds;
    for (long i = 0; now() < end && (job->max_calls == 0 || i < job->max_calls); i++) {
        int op = (int)((i * 7 + job->index * 3) % OPS);
        char *json = NULL;
        int32_t status = call(op, &json);
        int same_json = (json == NULL && expected_json[op] == NULL) ||
                        (json != NULL && expected_json[op] != NULL && strcmp(json, expected_json[op]) == 0);
        if (status != expected_status[op] || !same_json) {
            fprintf(stderr, "stress: operation %d gave status %d (expected %d)%s: %s\n", op, status,
                    expected_status[op], same_json ? "" : " and other JSON", opinio_last_error());
            job->mismatches++;
        }
        opinio_string_free(json);
        job->calls++;
    }
    return NULL;
}

static unsigned char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *bytes = size > 0 ? malloc((size_t)size) : NULL;
    if (bytes != NULL && fread(bytes, 1, (size_t)size, f) != (size_t)size) {
        free(bytes);
        bytes = NULL;
    }
    fclose(f);
    *len = bytes != NULL ? (size_t)size : 0;
    return bytes;
}

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: stress MODEL_DIR EXTRACTOR_DIR DOCUMENT REVIEWS_JSONL SECONDS [THREADS [CALLS]]\n");
        return 1;
    }
    document_path = argv[3];
    reviews_path = argv[4];
    double seconds = atof(argv[5]);
    int threads = argc > 6 ? atoi(argv[6]) : 8;
    long max_calls = argc > 7 ? atol(argv[7]) : 0;
    if (threads < 1 || threads > 64 || seconds <= 0 || max_calls < 0) {
        fprintf(stderr, "stress: bad SECONDS, THREADS or CALLS\n");
        return 1;
    }
    int rc = 1;
    OpinioModel *m = NULL;
    OpinioExtractor *x = NULL;
    document_bytes = read_file(document_path, &document_len);
    if (document_bytes == NULL) {
        fprintf(stderr, "stress: cannot read %s\n", document_path);
        goto done;
    }
    if (opinio_model_load(argv[1], &m) != OPINIO_STATUS_OK || opinio_extractor_load(argv[2], &x) != OPINIO_STATUS_OK) {
        fprintf(stderr, "stress: load failed: %s\n", opinio_last_error());
        goto done;
    }
    model = m;
    extractor = x;
    /* The answers of one thread, before any other exists. */
    for (int op = 0; op < OPS; op++) {
        expected_status[op] = call(op, &expected_json[op]);
    }
    /* The good calls must succeed and the bad ones fail, each as documented. */
    static const int32_t documented[OPS] = {
        OPINIO_STATUS_OK, OPINIO_STATUS_OK, OPINIO_STATUS_OK, OPINIO_STATUS_OK, OPINIO_STATUS_CANCELLED,
        OPINIO_STATUS_OK, OPINIO_STATUS_OK, OPINIO_STATUS_MALFORMED, OPINIO_STATUS_MALFORMED,
        OPINIO_STATUS_NULL_ARGUMENT,
    };
    for (int op = 0; op < OPS; op++) {
        if (expected_status[op] != documented[op]) {
            fprintf(stderr, "stress: operation %d gave status %d on one thread, expected %d: %s\n", op,
                    expected_status[op], documented[op], opinio_last_error());
            goto done;
        }
    }
    pthread_t ids[64];
    struct job jobs[64];
    for (int t = 0; t < threads; t++) {
        jobs[t] = (struct job){t, seconds, max_calls, 0, 0};
        if (pthread_create(&ids[t], NULL, work, &jobs[t]) != 0) {
            fprintf(stderr, "stress: cannot start thread %d\n", t);
            goto done;
        }
    }
    long calls = 0, mismatches = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(ids[t], NULL);
        calls += jobs[t].calls;
        mismatches += jobs[t].mismatches;
    }
    printf("{\"threads\": %d, \"seconds\": %g, \"calls\": %ld, \"mismatches\": %ld}\n", threads, seconds, calls,
           mismatches);
    rc = mismatches == 0 && calls >= threads ? 0 : 1;
done:
    for (int op = 0; op < OPS; op++) opinio_string_free(expected_json[op]);
    opinio_extractor_free(x);
    opinio_model_free(m);
    free(document_bytes);
    return rc;
}
