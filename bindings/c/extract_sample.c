/*
 * opinio from C, the other handles: extract the fields of a document by path and from bytes
 * in memory, and pick the documents a correction session should show. Every status is
 * checked and everything handed out is freed (run under valgrind by the tests).
 *
 *   cc extract_sample.c $(pkg-config --cflags --libs opinio) -o extract_sample
 *   ./extract_sample EXTRACTION_MODEL_DIR DOCUMENT MODEL_DIR
 *   ./extract_sample models/receipts tests/fixtures/extract/receipt.words.json models/restaurants
 *
 * Exit status: 0 when every call behaved as documented, 1 otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opinio.h"

static int fail(const char *what, int32_t status) {
    fprintf(stderr, "extract_sample: %s failed with status %d: %s\n", what, (int)status, opinio_last_error());
    return 1;
}

/* The whole file at `path`, or NULL; `*len` gets its size. */
static unsigned char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    unsigned char *data = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long size = ftell(f);
        if (size >= 0 && fseek(f, 0, SEEK_SET) == 0 && (data = malloc((size_t)size + 1)) != NULL) {
            *len = fread(data, 1, (size_t)size, f);
        }
    }
    fclose(f);
    return data;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: extract_sample EXTRACTION_MODEL_DIR DOCUMENT MODEL_DIR\n");
        return 1;
    }
    int rc = 0;
    char *json = NULL;
    OpinioExtractor *extractor = NULL;
    OpinioModel *model = NULL;
    unsigned char *bytes = NULL;

    int32_t status = opinio_extractor_load(argv[1], &extractor);
    if (status != OPINIO_STATUS_OK) return fail("opinio_extractor_load", status);
    status = opinio_extract_file(extractor, argv[2], NULL, &json);
    if (status != OPINIO_STATUS_OK) { rc = fail("opinio_extract_file", status); goto done; }
    printf("{\"by_path\": %s,\n", json);
    opinio_string_free(json);
    json = NULL;

    size_t len = 0;
    bytes = slurp(argv[2], &len);
    if (bytes == NULL) { fprintf(stderr, "extract_sample: cannot read %s\n", argv[2]); rc = 1; goto done; }
    const char *name = strrchr(argv[2], '/') ? strrchr(argv[2], '/') + 1 : argv[2];
    status = opinio_extract_bytes(extractor, name, bytes, len, "{\"annotated_pages\": true}", &json);
    if (status != OPINIO_STATUS_OK) { rc = fail("opinio_extract_bytes", status); goto done; }
    printf("\"from_bytes_length\": %zu,\n", strlen(json));
    opinio_string_free(json);
    json = NULL;

    /* Bytes that are no document: an error and a message, nothing handed out. */
    status = opinio_extract_bytes(extractor, "scan.png", bytes, len < 8 ? len : 8, NULL, &json);
    if (status == OPINIO_STATUS_OK || json != NULL) { fprintf(stderr, "extract_sample: 8 bytes were read as a page\n"); rc = 1; goto done; }
    printf("\"bad_bytes\": {\"status\": %d},\n", (int)status);

    status = opinio_model_load(argv[3], &model);
    if (status != OPINIO_STATUS_OK) { rc = fail("opinio_model_load", status); goto done; }
    status = opinio_sample(model,
        "{\"documents\": [{\"text\": \"Great food.\"}, {\"text\": \"The waiter was rude.\"},"
        " {\"text\": \"We went on a Tuesday.\"}, {\"text\": \"Cheap.\"}], \"size\": 2}", &json);
    if (status != OPINIO_STATUS_OK) { rc = fail("opinio_sample", status); goto done; }
    printf("\"sampled\": %s}\n", json);

done:
    opinio_string_free(json);
    free(bytes);
    opinio_model_free(model);
    opinio_extractor_free(extractor);
    return rc;
}
