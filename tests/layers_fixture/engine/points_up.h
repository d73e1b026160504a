// Fixture for the layers_check_catches_breaks test: engine/ naming a backend
// is the break the check must report. Never compiled.
#pragma once

#include "graph/graph.h"
#include "kernels/cpu/cpu_processor.h"
