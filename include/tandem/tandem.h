/* Tandem's C API: opaque handles and status codes, usable from C and through
 * FFI from other languages. Every function returns a tandem_status; on error,
 * tandem_last_error() gives the message for the calling thread. */
#ifndef TANDEM_TANDEM_H_
#define TANDEM_TANDEM_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tandem_status {
  TANDEM_OK = 0,
  TANDEM_INVALID_ARGUMENT = 1,
  TANDEM_INVALID_MODEL = 2,
  TANDEM_UNSUPPORTED = 3,
  TANDEM_NOT_FOUND = 4,
  TANDEM_IO_ERROR = 5,
  TANDEM_RESOURCE_EXHAUSTED = 6,
  TANDEM_INTERNAL = 7,
  TANDEM_CANCELLED = 8
} tandem_status;

typedef struct tandem_model tandem_model;
typedef struct tandem_session tandem_session;

/* Library version ("0.1.0") and the .tdm schema versions it reads. */
const char* tandem_version(void);
uint32_t tandem_schema_version(void);
uint32_t tandem_min_readable_schema_version(void);

/* Message of the last error on this thread ("" when none). */
const char* tandem_last_error(void);

tandem_status tandem_model_load(const char* path, tandem_model** out);
void tandem_model_free(tandem_model* model);
size_t tandem_model_input_count(const tandem_model* model);
size_t tandem_model_output_count(const tandem_model* model);
/* Name and shape of input/output `index`; `dims` receives up to `max_rank` dims. */
tandem_status tandem_model_input(const tandem_model* model, size_t index, const char** name,
                                 int64_t* dims, size_t max_rank, size_t* rank);
tandem_status tandem_model_output(const tandem_model* model, size_t index, const char** name,
                                  int64_t* dims, size_t max_rank, size_t* rank);

/* A session runs the model on one processor ("reference", "cpu", "cpu:threads=2", "opencl")
 * or pipelined across several ("cpu:cores=0,cpu:cores=1" with an automatic plan). */
tandem_status tandem_session_create(const tandem_model* model, const char* processors,
                                    tandem_session** out);
void tandem_session_free(tandem_session* session);
/* Inputs and outputs in model order, float32, C order, sizes in elements. */
tandem_status tandem_session_run(tandem_session* session, const float* const* inputs,
                                 const size_t* input_sizes, float* const* outputs,
                                 const size_t* output_sizes);

#ifdef __cplusplus
}
#endif

#endif /* TANDEM_TANDEM_H_ */
