/*
 * opinio from C: load the default model, segment and analyse two reviews, print the JSON,
 * and show what an error looks like. Every status is checked and everything handed out is
 * freed (valgrind --leak-check=full reports nothing definite).
 *
 *   cc example.c $(pkg-config --cflags --libs opinio) -o example
 *   ./example [MODEL_DIR]        (default: models/restaurants-zero-shot)
 *
 * Exit status: 0 when every call behaved as documented, 1 otherwise.
 */
#include <stdio.h>
#include <string.h>

#include "opinio.h"

/* Prints the failed call and this thread's last error message, then returns 1. */
static int fail(const char *what, int32_t status) {
    fprintf(stderr, "example: %s failed with status %d: %s\n", what, (int)status, opinio_last_error());
    return 1;
}

int main(int argc, char **argv) {
    const char *model_dir = argc > 1 ? argv[1] : "models/restaurants-zero-shot";
    const char *request =
        "{\"documents\": ["
        "{\"id\": 1, \"text\": \"The pasta was excellent. Our waiter was rude and slow.\"},"
        "{\"id\": \"r-2\", \"text\": \"Great prices and a cosy room!\"}"
        "], \"split\": true}";
    int rc = 0;
    char *json = NULL;
    OpinioModel *model = NULL;

    printf("{\"version\": \"%s\",\n", opinio_version());

    /* Segmentation needs no model. */
    int32_t status = opinio_segment(request, &json);
    if (status != OPINIO_STATUS_OK) {
        return fail("opinio_segment", status);
    }
    printf("\"segmented\": %s,\n", json);
    opinio_string_free(json);
    json = NULL;

    status = opinio_model_load(model_dir, &model);
    if (status != OPINIO_STATUS_OK) {
        return fail("opinio_model_load", status);
    }
    status = opinio_analyze(model, request, &json);
    if (status != OPINIO_STATUS_OK) {
        rc = fail("opinio_analyze", status);
        goto done;
    }
    printf("\"analyzed\": %s,\n", json);
    opinio_string_free(json);
    json = NULL;

    /* The error path: a NULL argument is a status and a message, never a crash. */
    status = opinio_analyze(model, NULL, &json);
    if (status != OPINIO_STATUS_NULL_ARGUMENT || json != NULL || strstr(opinio_last_error(), "request_json") == NULL) {
        fprintf(stderr, "example: a NULL request gave status %d, message \"%s\"\n", (int)status, opinio_last_error());
        rc = 1;
        goto done;
    }
    printf("\"null_argument\": {\"status\": %d, \"message\": \"%s\"},\n", (int)status, opinio_last_error());

    /* Broken JSON is OPINIO_STATUS_MALFORMED, with the position in the message. */
    status = opinio_analyze(model, "{\"documents\": [", &json);
    if (status != OPINIO_STATUS_MALFORMED || json != NULL) {
        fprintf(stderr, "example: broken json gave status %d\n", (int)status);
        rc = 1;
        goto done;
    }
    printf("\"malformed\": {\"status\": %d, \"message_length\": %zu}}\n", (int)status, strlen(opinio_last_error()));

done:
    opinio_string_free(json);   /* NULL is fine */
    opinio_model_free(model);
    return rc;
}
