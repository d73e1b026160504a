// Internal interface of the cpu processor's kernels. Inside a compiled range
// 4-D activations are NHWC with a pixel stride (so producers can write into
// their channel slice of a concatenated buffer); other tensors keep the
// graph's logical layout and are contiguous.
#pragma once

#include <pthreadpool.h>
#include <xnnpack.h>

#include <memory>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "kernels/cpu/x86/isa.h"

namespace tandem::cpu {

// One tensor as a kernel sees it.
struct CpuTensor {
  float* data = nullptr;  // constants: points at the (read-only) ConstantData; int8 data
                          // of int8 tensors (i8())
  int8_t* i8() const { return reinterpret_cast<int8_t*>(data); }
  Shape shape;               // logical shape (ONNX order)
  bool nhwc = false;         // 4-D activation stored NHWC
  int64_t pixel_stride = 0;  // elements between pixels (>= channels) when nhwc
  bool constant = false;
  DType dtype = DType::kFloat32;  // int8 activations are NHWC too (docs/int8.md)

  int64_t n() const { return shape[0]; }
  int64_t c() const { return shape[1]; }
  int64_t h() const { return shape[2]; }
  int64_t w() const { return shape[3]; }
  bool contiguous() const { return !nhwc || pixel_stride == shape[1]; }
  int64_t elements() const { return shape_elements(shape); }
  // Shape in storage order: NHWC for nhwc tensors, else the logical shape.
  Shape storage_shape() const {
    return nhwc ? Shape{shape[0], shape[2], shape[3], shape[1]} : shape;
  }
};

// A compiled node: created (weights packed, pointers bound) at compile time.
class CpuKernel {
 public:
  virtual ~CpuKernel() = default;
  // Runs the node on `pool` (nullptr: the calling thread only). No allocation.
  virtual Status run(pthreadpool_t pool) = 0;
  // Inputs this kernel copies at run time (Concat inputs not written in place).
  virtual size_t copied_inputs() const { return 0; }
  // Which implementation runs the node ("xnnpack", "gemm_avx512", "winograd_f43", ...).
  virtual const char* kind() const { return "own"; }
  // Constant input tensors whose bytes the kernel copied (packed) and no longer reads.
  std::vector<int> consumed_constants;
};

// Choices a processor spec can make about kernels.
struct CpuKernelOptions {
  enum class Winograd { kOff, kAuto, kOn };
  // F(4,3) for 3x3 stride-1 convs: never, where it pays (default), wherever it applies.
  Winograd winograd = Winograd::kAuto;
  enum class Gemm { kXnnpack, kAuto, kOwn };
  // Dense convs not on Winograd: XNNPACK's direct convolution, the own GEMM of
  // `isa` where it pays (default), or wherever it applies (needs isa >= avx2).
  Gemm gemm = Gemm::kAuto;
  // Residual Adds run in the epilogue of the GEMM conv that produces an operand.
  bool fuse_residual = true;
  // MobileNet's inverted residual block (1x1 expansion, 3x3 depthwise, 1x1
  // projection) runs as one kernel, row by row (inverted_residual.cc).
  bool fuse_blocks = true;
  // Conv -> Sigmoid -> Mul (SiLU, YOLO's and EfficientNet's activation) runs in
  // the epilogue of a GEMM or Winograd conv.
  bool fuse_silu = true;
  enum class Neon { kAuto, kOn, kOff };
  // The own NEON kernels (1x1 GEMM, 3x3 depthwise): where the selection hooks say
  // (aarch64 only), wherever they apply (off ARM: their scalar twins, a test mode), never.
  Neon neon = Neon::kAuto;
  // Threads of the pool the kernels run on (some choices depend on it).
  int threads = 1;
  // Highest x86 level the own kernels may use (spec `isa=`; at most what the CPU has).
  CpuIsa isa = cpu_isa_detected();
  // At isa >= avx512, dense int8 convs on AMX tiles where the CPU has AMX-INT8
  // (spec `amx=auto`, the default; `amx=off`: the VNNI GEMM).
  bool amx = true;
};

struct KernelArgs {
  const Graph* g = nullptr;
  const Node* node = nullptr;
  std::vector<CpuTensor> inputs;   // one per node input (data nullptr when absent)
  std::vector<CpuTensor> outputs;  // one per node output
  pthreadpool_t pool = nullptr;
  // Activation of a following node fused into this one by the compiler
  // (kernels that do not take one are never given one).
  FusedActivation activation;
  // The other operand of an Add fused into this conv (ResNet's residual; data
  // nullptr when none): the kernel adds it before `activation`.
  CpuTensor residual;
  // x * sigmoid(x) after `activation` (a Conv -> SiLU pair; CpuOpSupport::applies_silu).
  bool silu = false;
  // A constant row (N values, broadcast over the rows) a following Add contributes,
  // which a MatMul on the own GEMM adds as its bias (data nullptr when none).
  CpuTensor bias;
  // A Gelu after this conv whose work the GEMM conv does on each finished tile
  // row (fusion.cc; nullptr when none).
  const Node* gelu = nullptr;
  // Earlier nodes whose work this node's kernel does, in graph order, with their
  // inputs (fusion.cc): an inverted residual block's expansion and depthwise
  // conv, a shuffle's Reshape and Transpose, a SiLU's gate. Empty when none.
  struct Absorbed {
    const Node* node = nullptr;
    std::vector<CpuTensor> inputs;
  };
  std::vector<Absorbed> absorbed;
  CpuKernelOptions options;
  // Scratch shared by the range's kernels (CpuOpSupport::workspace_floats).
  float* workspace = nullptr;
};

using KernelPtr = std::unique_ptr<CpuKernel>;
using KernelFactory = Expected<KernelPtr> (*)(const KernelArgs& args);

// What the compiler needs to know about running a node natively.
struct CpuOpSupport {
  KernelFactory factory = nullptr;  // nullptr: the node runs on the reference fallback
  bool strided_inputs = false;      // reads NHWC inputs with pixel stride > channels
  bool strided_output = false;      // writes NHWC output with pixel stride > channels
  size_t workspace_floats = 0;      // scratch the kernel needs while it runs
  // Reads input 0 in its logical NCHW layout too (then a range input read only by
  // such kernels skips the NCHW -> NHWC entry conversion).
  bool reads_nchw = false;
  // Can add the other operand of a following Add (and take its activation) in its
  // epilogue: KernelArgs::residual.
  bool adds_residual = false;
  // Can apply x * sigmoid(x) to its output in its epilogue: KernelArgs::silu.
  bool applies_silu = false;
  // Can take a following Add of a constant row as its bias (KernelArgs::bias).
  bool adds_bias = false;
};

// y[i] = x[i] * sigmoid(x[i]) for i < c (alpha, beta unused), on the vector SiLU of
// `isa` (x86/gated_rows.h) or the portable loop: what the gated kernel runs, so a
// conv that applies SiLU in its epilogue gives the same bits.
using GatedRowFn = void (*)(const float* x, float* y, int64_t c, float alpha, float beta);
GatedRowFn silu_row_for(CpuIsa isa);

// Named rows for the per-op support functions (instead of {factory, true, true}).
// A kernel that reads and writes pixel-strided NHWC tensors (concat slices).
inline CpuOpSupport strided_kernel(KernelFactory factory, size_t workspace_floats = 0) {
  CpuOpSupport s;
  s.factory = factory;
  s.strided_inputs = true;
  s.strided_output = true;
  s.workspace_floats = workspace_floats;
  return s;
}
// A kernel that needs contiguous inputs and output.
inline CpuOpSupport contiguous_kernel(KernelFactory factory) {
  CpuOpSupport s;
  s.factory = factory;
  return s;
}

// Native support of node `n` (shapes known) on the cpu processor.
CpuOpSupport cpu_op_support(const Graph& g, const Node& n, const CpuKernelOptions& options = {});

// Per-op support checks and factories (one file each).
CpuOpSupport conv2d_support(const Graph& g, const Node& n, const CpuKernelOptions& options);

// Winograd F(4x4, 3x3) for 3x3 stride-1 dense convolutions (winograd_f43.cc).
bool winograd_f43_applicable(const Graph& g, const Node& n);
// True where it beats XNNPACK's direct convolution at `threads` threads with the
// 36 products on the own GEMM of `isa` (XNNPACK's where that level has none).
bool winograd_f43_profitable(const Graph& g, const Node& n, int threads, CpuIsa isa);
size_t winograd_f43_workspace_floats(const Graph& g, const Node& n);
Expected<KernelPtr> make_winograd_f43(const KernelArgs& args);
// 1x1 and 3x3 depthwise convs on the own NEON kernels (conv2d_neon.cc).
CpuOpSupport neon_conv_support(const Graph& g, const Node& n, const CpuKernelOptions& options);
// A depthwise k x k conv (group == channels, one filter each), undilated, equal strides.
bool is_depthwise_kxk(const Graph& g, const Node& n, int64_t k);
// Depthwise 3x3 and 5x5 (stride 1 or 2) on the own kernel (ops/dwconv.cc) at x86
// level `isa` (AVX-512 or AVX2): where it applies, where it beats XNNPACK's, the
// kernel (at KernelArgs::options.isa).
bool dwconv_applicable(const Graph& g, const Node& n, CpuIsa isa);
bool dwconv_profitable(const Graph& g, const Node& n, CpuIsa isa);
Expected<KernelPtr> make_dwconv(const KernelArgs& args);
// Dense convs as one GEMM on the own kernel of level `isa` (conv2d_gemm.cc): where
// it applies (that level has an own GEMM), where it beats XNNPACK at that level.
bool gemm_conv_applicable(const Graph& g, const Node& n, CpuIsa isa);
bool gemm_conv_profitable(const Graph& g, const Node& n, CpuIsa isa);
// Scratch of the GEMM conv on `threads` threads: the padded input, or the im2col
// patches of one M block per thread (all patches when there are too few rows to block).
size_t gemm_conv_workspace_floats(const Graph& g, const Node& n, CpuIsa isa, int threads);
// Whether that conv takes a padded-input path that can read NCHW (stems).
bool gemm_conv_reads_nchw(const Graph& g, const Node& n);
Expected<KernelPtr> make_gemm_conv(const KernelArgs& args);
// An inverted residual block as one kernel (inverted_residual.cc): whether the
// convs fuse at x86 level `isa` (expand nullptr: a block without expansion), the scratch the kernel
// needs on `threads` threads, the kernel (made for the projection node, with
// KernelArgs::absorbed = {[expansion,] depthwise}).
bool inverted_residual_fusable(const Graph& g, const Node* expand, const Node& dw,
                               const Node& project, CpuIsa isa);
size_t inverted_residual_workspace_floats(const Graph& g, const Node& dw, bool expansion,
                                          int threads);
Expected<KernelPtr> make_inverted_residual(const KernelArgs& args);
CpuOpSupport fully_connected_support(const Graph& g, const Node& n);
// MatMul: a constant 2-D B on XNNPACK's fully connected, or any MatMul of tensors of
// rank != 4 (attention's batched products) on the own GEMM of options.isa (matmul_gemm.cc).
CpuOpSupport matmul_support(const Graph& g, const Node& n, const CpuKernelOptions& options);
// Gemm (constant B and C): the own GEMM where matmul_gemm_profitable, else as
// fully_connected_support.
CpuOpSupport gemm_node_support(const Graph& g, const Node& n, const CpuKernelOptions& options);
// Whether a MatMul or Gemm that the fully connected path takes runs faster on the own GEMM.
bool matmul_gemm_profitable(const Graph& g, const Node& n, CpuIsa isa);
CpuOpSupport pooling_support(const Graph& g, const Node& n);
CpuOpSupport binary_elementwise_support(const Graph& g, const Node& n);
CpuOpSupport unary_elementwise_support(const Graph& g, const Node& n);
// HardSigmoid, Tanh, Erf and Sqrt on own loops (unary_own.cc).
CpuOpSupport unary_own_support(const Graph& g, const Node& n);
// Gelu rows (gelu.cc), Pow by a constant scalar (pow.cc).
CpuOpSupport gelu_support(const Graph& g, const Node& n);
CpuOpSupport pow_support(const Graph& g, const Node& n);
// LayerNormalization over NHWC channels or the last axes of other ranks (layer_norm.cc).
CpuOpSupport layer_norm_support(const Graph& g, const Node& n);
CpuOpSupport softmax_support(const Graph& g, const Node& n);
CpuOpSupport pad_support(const Graph& g, const Node& n);
CpuOpSupport batch_norm_support(const Graph& g, const Node& n);
CpuOpSupport concat_support(const Graph& g, const Node& n);
CpuOpSupport reshape_support(const Graph& g, const Node& n);
// Slices of NHWC activations with unit channel step (slice.cc).
CpuOpSupport slice_support(const Graph& g, const Node& n);
// Splits of NHWC activations along channels (split.cc); views of the input where
// the compiler placed it so (range_plan.cc).
bool is_channel_split(const Graph& g, const Node& n);
CpuOpSupport split_support(const Graph& g, const Node& n);
// Transposes of float tensors of rank <= 6 in any layout (transpose.cc).
CpuOpSupport transpose_support(const Graph& g, const Node& n);
// Gather with constant indices of tensors in logical layout (rank != 4) (gather.cc).
CpuOpSupport gather_support(const Graph& g, const Node& n);
// Nearest and bilinear Resize of NHWC activations along H and W (resize.cc).
CpuOpSupport resize_support(const Graph& g, const Node& n);
// Reshape -> Transpose (0, 2, 1, 3, 4) -> Reshape back: a channel shuffle, which the
// compiler runs as one kernel made for the last Reshape, with KernelArgs::absorbed =
// {first Reshape, Transpose} (channel_shuffle.cc).
bool is_channel_shuffle(const Graph& g, const Node& r1, const Node& transpose, const Node& r2);
Expected<KernelPtr> make_channel_shuffle(const KernelArgs& args);
// Sigmoid or HardSigmoid -> Mul(x, gate(x)): SiLU or HardSwish, run as one kernel
// made for the Mul with KernelArgs::absorbed = {gate} (gated_activation.cc).
// gated_input is x, or -1 for another pattern.
int gated_input(const Graph& g, const Node& gate, const Node& mul);
Expected<KernelPtr> make_gated(const KernelArgs& args);

// The 8-bit ops (docs/int8.md): QConv/QGemm on XNNPACK qc8 (qconv.cc);
// QuantizeLinear, DequantizeLinear, QAdd on own loops (qelementwise.cc);
// QMaxPool (XNNPACK s8), QGlobalAveragePool, channel QConcat (qpool.cc).
// Dense QConvs on the own VNNI GEMM, depthwise ones on the own AVX-512 loop, where the
// CPU has them (isa >= avx512, gemm != xnnpack); dense ones on the own exact AVX2 GEMM
// where VNNI is missing or isa=avx2; XNNPACK qc8 otherwise.
CpuOpSupport qconv_support(const Graph& g, const Node& n, const CpuKernelOptions& options);
// 1x1 QConvs and QGemm on the own int8 NEON GEMM (SDOT) at neon=on (qconv_neon.cc);
// off aarch64 its scalar twin (a test mode).
CpuOpSupport qconv_neon_support(const Graph& g, const Node& n, const CpuKernelOptions& options);
CpuOpSupport qelementwise_support(const Graph& g, const Node& n);
CpuOpSupport qpool_support(const Graph& g, const Node& n);

// Reference kernel behind layout conversion, for ops XNNPACK lacks.
Expected<KernelPtr> make_fallback_kernel(const KernelArgs& args);

// Flags for our pthreadpool calls and XNNPACK operators: YIELD_WORKERS makes
// idle workers sleep instead of spin (see cpu_ops.cc for when).
uint32_t cpu_pool_flags();
uint32_t cpu_xnn_flags();

// "XNNPACK error <code> in <what> of node '<name>'".
Status xnn_error(enum xnn_status status, const char* what, const Node& n);

// Owns an XNNPACK operator.
struct XnnOperatorDeleter {
  void operator()(xnn_operator_t op) const {
    if (op) xnn_delete_operator(op);
  }
};
using XnnOperator = std::unique_ptr<struct xnn_operator, XnnOperatorDeleter>;

// A kernel that is one XNNPACK operator, set up once at compile time.
class XnnKernel : public CpuKernel {
 public:
  explicit XnnKernel(XnnOperator op, std::string node_name)
      : op_(std::move(op)), name_(std::move(node_name)) {}
  Status run(pthreadpool_t pool) override;
  const char* kind() const override { return "xnnpack"; }

 private:
  XnnOperator op_;
  std::string name_;
};

}  // namespace tandem::cpu
