// One call of a NEON kernel on a real-network shape, for counting executed instructions
// under qemu (bench/neon/neon_insn_per_output.sh). "dry" does everything but the call, so
// the difference of two runs is the kernel's own count (packing of A included).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "kernels/cpu/neon/neon_kernels.h"

namespace nk = tandem::neon;

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s gemm M N K [dry] | %s dw H W C STRIDE [dry]\n", argv[0],
                 argv[0]);
    return 2;
  }
  const bool dry = std::strcmp(argv[argc - 1], "dry") == 0;
  volatile float sink = 0;
  if (std::strcmp(argv[1], "gemm") == 0) {
    const int m = std::atoi(argv[2]), n = std::atoi(argv[3]), k = std::atoi(argv[4]);
    std::vector<float> a(static_cast<size_t>(m) * k, 0.5f), w(static_cast<size_t>(n) * k, 0.25f);
    std::vector<float> c(static_cast<size_t>(m) * n), bias(n, 1.0f);
    std::vector<float> pb(nk::gemm_f32_packed_b_size(n, k)), ws(nk::gemm_f32_workspace_size());
    nk::gemm_f32_pack_b_nk(n, k, w.data(), k, pb.data());
    if (!dry)
      nk::gemm_f32_neon(m, n, k, a.data(), k, pb.data(), c.data(), n, bias.data(), 0.0f, 6.0f,
                        ws.data());
    sink = c[0];
  } else {
    nk::DwConv3x3Params p;
    p.in_h = std::atoi(argv[2]);
    p.in_w = std::atoi(argv[3]);
    p.channels = std::atoi(argv[4]);
    p.stride = std::atoi(argv[5]);
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
    std::vector<float> in(static_cast<size_t>(p.in_h) * p.in_w * p.channels, 0.5f);
    std::vector<float> w(static_cast<size_t>(p.channels) * 9, 0.25f);
    std::vector<float> pw(nk::dwconv_f32_3x3_packed_size(p.channels));
    std::vector<float> out(static_cast<size_t>(nk::dwconv_f32_3x3_out_h(p)) *
                           nk::dwconv_f32_3x3_out_w(p) * p.channels);
    nk::dwconv_f32_3x3_pack(p.channels, w.data(), nullptr, pw.data());
    if (!dry) nk::dwconv_f32_3x3_neon_c8(p, in.data(), pw.data(), out.data());
    sink = out[0];
  }
  return sink < -1e30f ? 1 : 0;
}
