/*
 * One model shared by several threads: every answer must equal the single-threaded one.
 *
 *   cc threads.c $(pkg-config --cflags --libs opinio) -lpthread -o threads
 *   ./threads MODEL_DIR [THREADS [CALLS]]      (default: 4 threads x 25 calls)
 *
 * Exit status: 0 when all answers are identical and every status was OK, 1 otherwise.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opinio.h"

static const char *REQUEST =
    "{\"documents\": ["
    "{\"id\": 1, \"text\": \"The steak was overcooked. The staff were lovely though.\"},"
    "{\"id\": 2, \"text\": \"Too expensive for such small portions.\"}"
    "], \"split\": true}";

struct job {
    const OpinioModel *model;
    const char *expected;
    int calls;
    int mismatches;
};

static void *work(void *arg) {
    struct job *job = arg;
    for (int i = 0; i < job->calls; i++) {
        char *json = NULL;
        if (opinio_analyze(job->model, REQUEST, &json) != OPINIO_STATUS_OK) {
            fprintf(stderr, "threads: analyze failed: %s\n", opinio_last_error());
            job->mismatches++;
        } else if (strcmp(json, job->expected) != 0) {
            job->mismatches++;
        }
        opinio_string_free(json);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: threads MODEL_DIR [THREADS [CALLS]]\n");
        return 1;
    }
    int threads = argc > 2 ? atoi(argv[2]) : 4;
    int calls = argc > 3 ? atoi(argv[3]) : 25;
    if (threads < 1 || threads > 64 || calls < 1) {
        fprintf(stderr, "threads: bad THREADS or CALLS\n");
        return 1;
    }
    OpinioModel *model = NULL;
    if (opinio_model_load(argv[1], &model) != OPINIO_STATUS_OK) {
        fprintf(stderr, "threads: load failed: %s\n", opinio_last_error());
        return 1;
    }
    char *expected = NULL;
    if (opinio_analyze(model, REQUEST, &expected) != OPINIO_STATUS_OK) {
        fprintf(stderr, "threads: analyze failed: %s\n", opinio_last_error());
        opinio_model_free(model);
        return 1;
    }
    pthread_t ids[64];
    struct job jobs[64];
    int mismatches = 0;
    for (int t = 0; t < threads; t++) {
        jobs[t] = (struct job){model, expected, calls, 0};
        if (pthread_create(&ids[t], NULL, work, &jobs[t]) != 0) {
            fprintf(stderr, "threads: cannot start thread %d\n", t);
            return 1;
        }
    }
    for (int t = 0; t < threads; t++) {
        pthread_join(ids[t], NULL);
        mismatches += jobs[t].mismatches;
    }
    printf("{\"threads\": %d, \"calls\": %d, \"mismatches\": %d}\n", threads, calls, mismatches);
    opinio_string_free(expected);
    opinio_model_free(model);
    return mismatches == 0 ? 0 : 1;
}
