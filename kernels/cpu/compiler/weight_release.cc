// Giving back the model file's weight pages once XNNPACK holds packed copies,
// so resident memory does not hold the weights twice. Only pages of file
// mappings are dropped (they fault back in from the file if read again);
// heap-backed constants are left alone, since dropping those would zero them.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>

#include "kernels/cpu/compiler/cpu_executable.h"

namespace tandem::cpu {

std::vector<FileMapping> read_only_file_mappings() {
  std::vector<FileMapping> out;
  FILE* f = std::fopen("/proc/self/maps", "r");
  if (!f) return out;
  char line[4096];
  while (std::fgets(line, sizeof(line), f)) {
    unsigned long begin = 0, end = 0, inode = 0;
    char perms[8] = {0}, path[4096] = {0};
    if (std::sscanf(line, "%lx-%lx %7s %*s %*s %lu %4095s", &begin, &end, perms, &inode, path) < 4)
      continue;
    // Read-only file mappings only: writable private pages may hold changes.
    if (inode != 0 && path[0] == '/' && perms[1] == '-') out.push_back({begin, end});
  }
  std::fclose(f);
  return out;
}

size_t release_constant_pages(const std::vector<const ConstantData*>& constants) {
  if (constants.empty()) return 0;
  return release_constant_pages(constants, read_only_file_mappings());
}

size_t release_constant_pages(const std::vector<const ConstantData*>& constants,
                              const std::vector<FileMapping>& maps) {
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  size_t released = 0;
  for (const ConstantData* c : constants) {
    uintptr_t begin = reinterpret_cast<uintptr_t>(c->data);
    uintptr_t end = begin + c->bytes;
    uintptr_t first = (begin + page - 1) & ~(page - 1);  // whole pages inside the tensor only
    uintptr_t last = end & ~(page - 1);
    if (last <= first) continue;
    bool in_file = false;
    for (const FileMapping& m : maps) in_file |= m.begin <= first && last <= m.end;
    if (!in_file) continue;
    if (madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED) == 0)
      released += last - first;
  }
  return released;
}

}  // namespace tandem::cpu
