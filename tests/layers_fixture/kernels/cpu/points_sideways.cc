// Fixture for the layers_check_catches_breaks test: one backend including
// another is a sideways break. Never compiled.
#include "engine/processor.h"
#include "kernels/opencl/opencl_processor.h"
#include "kernels/reference/reference_kernels.h"
