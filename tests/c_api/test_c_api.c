/* The C API from a C program: load, inspect, run, error paths. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tandem/tandem.h"

static int failures = 0;
#define EXPECT(cond)                                                            \
  do {                                                                          \
    if (!(cond)) {                                                              \
      fprintf(stderr, "%s:%d: EXPECT failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                               \
    }                                                                           \
  } while (0)

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: test_c_api MODEL.tdm [PROCESSOR_LIST]\n");
    return 2;
  }
  EXPECT(strlen(tandem_version()) > 0);
  EXPECT(tandem_schema_version() >= tandem_min_readable_schema_version());

  tandem_model* bad = NULL;
  EXPECT(tandem_model_load("/nonexistent/model.tdm", &bad) != TANDEM_OK);
  EXPECT(bad == NULL);
  EXPECT(strstr(tandem_last_error(), "/nonexistent/model.tdm") != NULL);

  tandem_model* model = NULL;
  EXPECT(tandem_model_load(argv[1], &model) == TANDEM_OK);
  if (!model) return 1;
  EXPECT(tandem_model_input_count(model) == 1);
  EXPECT(tandem_model_output_count(model) == 1);
  const char* name = NULL;
  int64_t dims[8];
  size_t rank = 0;
  EXPECT(tandem_model_input(model, 0, &name, dims, 8, &rank) == TANDEM_OK);
  EXPECT(rank == 4 && dims[1] == 3);
  EXPECT(tandem_model_input(model, 5, &name, dims, 8, &rank) == TANDEM_INVALID_ARGUMENT);
  size_t in_size = 1;
  for (size_t i = 0; i < rank; ++i) in_size *= (size_t)dims[i];
  EXPECT(tandem_model_output(model, 0, &name, dims, 8, &rank) == TANDEM_OK);
  size_t out_size = 1;
  for (size_t i = 0; i < rank; ++i) out_size *= (size_t)dims[i];

  tandem_session* session = NULL;
  EXPECT(tandem_session_create(model, "no-such-processor", &session) == TANDEM_INVALID_ARGUMENT);
  EXPECT(tandem_session_create(model, "reference", &session) == TANDEM_OK);
  if (!session) return 1;
  float* in = (float*)calloc(in_size, sizeof(float));
  float* out = (float*)calloc(out_size, sizeof(float));
  for (size_t i = 0; i < in_size; ++i) in[i] = (float)((i * 7) % 13) / 13.0f - 0.5f;
  const float* ins[1] = {in};
  float* outs[1] = {out};
  size_t wrong = in_size - 1;
  EXPECT(tandem_session_run(session, ins, &wrong, outs, &out_size) == TANDEM_INVALID_ARGUMENT);
  EXPECT(tandem_session_run(session, ins, &in_size, outs, &out_size) == TANDEM_OK);
  /* The model ends in softmax: outputs are probabilities summing to one. */
  double sum = 0;
  for (size_t i = 0; i < out_size; ++i) {
    EXPECT(out[i] >= 0.0f && out[i] <= 1.0f);
    sum += out[i];
  }
  EXPECT(sum > 0.999 && sum < 1.001);
  /* Pipelined (or split by the planner) across two processors: the same outputs
   * within float tolerance. */
  tandem_session* piped = NULL;
  if (argc > 2) EXPECT(tandem_session_create(model, argv[2], &piped) == TANDEM_OK);
  if (piped) {
    float* out2 = (float*)calloc(out_size, sizeof(float));
    float* outs2[1] = {out2};
    EXPECT(tandem_session_run(piped, ins, &in_size, outs2, &out_size) == TANDEM_OK);
    for (size_t i = 0; i < out_size; ++i) EXPECT(fabsf(out[i] - out2[i]) <= 1e-5f);
    free(out2);
    tandem_session_free(piped);
  }
  free(in);
  free(out);
  tandem_session_free(session);
  tandem_model_free(model);
  if (failures) {
    fprintf(stderr, "%d failed\n", failures);
    return 1;
  }
  printf("C API: all checks passed\n");
  return 0;
}
