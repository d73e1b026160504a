// Fixture for the layers_check_catches_breaks test: libtandem (api/) naming
// the converter, a separate library above it, is a break. Never compiled.
#include "formats/model_file.h"
#include "formats/onnx/converter.h"
