// Kept so existing includes keep working: the GEMM's API is gemm.h.
#pragma once

#include "kernels/cpu/x86/gemm.h"
