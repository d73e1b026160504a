/* The C API: load a model, run one frame on one processor, print the argmax.
 *   classify_c MODEL.tdm [PROCESSOR] */
#include <stdio.h>
#include <stdlib.h>

#include <tandem/tandem.h>

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s MODEL.tdm [PROCESSOR]\n", argv[0]);
    return 2;
  }
  tandem_model* model = NULL;
  if (tandem_model_load(argv[1], &model) != TANDEM_OK) {
    fprintf(stderr, "error: %s\n", tandem_last_error());
    return 1;
  }
  tandem_session* session = NULL;
  if (tandem_session_create(model, argc > 2 ? argv[2] : "cpu", &session) != TANDEM_OK) {
    fprintf(stderr, "error: %s\n", tandem_last_error());
    tandem_model_free(model);
    return 1;
  }
  int64_t dims[8];
  size_t rank = 0, in_size = 1, out_size = 1;
  const char* name = NULL;
  tandem_model_input(model, 0, &name, dims, 8, &rank);
  for (size_t i = 0; i < rank; ++i) in_size *= (size_t)dims[i];
  tandem_model_output(model, 0, &name, dims, 8, &rank);
  for (size_t i = 0; i < rank; ++i) out_size *= (size_t)dims[i];
  float* in = calloc(in_size, sizeof(float));
  float* out = calloc(out_size, sizeof(float));
  for (size_t i = 0; i < in_size; ++i) in[i] = (float)(i % 17) / 17.0f;
  const float* ins[1] = {in};
  float* outs[1] = {out};
  int rc = 0;
  if (tandem_session_run(session, ins, &in_size, outs, &out_size) != TANDEM_OK) {
    fprintf(stderr, "error: %s\n", tandem_last_error());
    rc = 1;
  } else {
    size_t best = 0;
    for (size_t i = 1; i < out_size; ++i)
      if (out[i] > out[best]) best = i;
    printf("%s: argmax %zu\n", name, best);
  }
  free(in);
  free(out);
  tandem_session_free(session);
  tandem_model_free(model);
  return rc;
}
