// The sizes, strides, dilations and leading pads of a 2-D convolution node,
// read once from the graph (shapes known), for the own conv kernels.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "graph/graph.h"

namespace tandem::cpu {

struct ConvGeometry {
  int64_t n, c, h, w, m, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl;
  int64_t rows() const { return n * oh * ow; }   // output pixels
  int64_t depth() const { return kh * kw * c; }  // GEMM K of a dense conv
  bool direct() const {  // a 1x1 stride-1 unpadded conv: A is the input itself
    return kh == 1 && kw == 1 && sh == 1 && sw == 1 && pt == 0 && pl == 0;
  }
  // Few channels (stems): patches would be short runs, so the GEMM reads a
  // zero-padded copy of the input through per-(ky, kx, c) offsets instead.
  bool indexed() const { return !direct() && c < 16; }
  int64_t padded_h() const { return std::max(pt + h, (oh - 1) * sh + (kh - 1) * dh + 1); }
  int64_t padded_w() const { return std::max(pl + w, (ow - 1) * sw + (kw - 1) * dw + 1); }
};

inline ConvGeometry conv_geometry(const Graph& g, const Node& nd) {
  const Shape& x = g.tensor(nd.inputs[0]).shape;
  const Shape& wt = g.tensor(nd.inputs[1]).shape;
  const Shape& y = g.tensor(nd.outputs[0]).shape;
  const NodeAttrs& at = nd.attrs;
  auto at_or = [](const std::vector<int64_t>& v, size_t i, int64_t d) {
    return v.size() > i ? v[i] : d;
  };
  ConvGeometry q{};
  q.n = x[0], q.c = x[1], q.h = x[2], q.w = x[3];
  q.m = y[1], q.oh = y[2], q.ow = y[3];
  q.kh = wt[2], q.kw = wt[3];
  q.sh = at_or(at.strides, 0, 1), q.sw = at_or(at.strides, 1, 1);
  q.dh = at_or(at.dilations, 0, 1), q.dw = at_or(at.dilations, 1, 1);
  q.pt = at_or(at.pads, 0, 0), q.pl = at_or(at.pads, 1, 0);
  return q;
}

}  // namespace tandem::cpu
