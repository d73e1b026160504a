// Compiling a node range for the cpu processor (see cpu_executable.cc).
#pragma once

#include <pthreadpool.h>

#include <memory>

#include "engine/processor.h"
#include "kernels/cpu/compiler/cpu_kernel.h"

namespace tandem::cpu {

// Compiles nodes [first, last) of `g`: layouts, in-place concat placement,
// arena plan, kernels with packed weights. `pool` (may be null) must outlive
// the result; `keep_alive` is held by it.
Expected<std::unique_ptr<Executable>> compile_cpu_range(const Graph& g, int first, int last,
                                                        pthreadpool_t pool,
                                                        std::shared_ptr<void> keep_alive,
                                                        const CpuKernelOptions& options = {});

// Concat inputs an executable from compile_cpu_range copies at run time
// (0 when every producer writes in place); -1 for other executables.
int64_t cpu_concat_copies(const Executable& exe);

// Read-only file mappings of this process (/proc/self/maps), [begin, end).
struct FileMapping {
  uintptr_t begin, end;
};
std::vector<FileMapping> read_only_file_mappings();

// Gives back the whole pages inside `constants` that lie in a read-only file
// mapping (they fault back in from the file if read again); returns the bytes
// released. Heap constants are never touched. See weight_release.cc.
size_t release_constant_pages(const std::vector<const ConstantData*>& constants);
size_t release_constant_pages(const std::vector<const ConstantData*>& constants,
                              const std::vector<FileMapping>& maps);

}  // namespace tandem::cpu
