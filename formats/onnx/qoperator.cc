#include "formats/onnx/qoperator.h"

#include <map>
#include <set>
#include <vector>

#include "formats/onnx/onnx_tensor.h"

namespace tandem::onnx_import {
namespace {

constexpr const char* kMsDomain = "com.microsoft";

// An int8 tensor's scale and zero point: names of initializers (or of the graph values
// a QuantizeLinear read them from).
struct QParams {
  std::string scale, zero;
};

bool is_ms(const onnx::NodeProto& n) {
  return n.domain() == kMsDomain;
}

bool is_default(const onnx::NodeProto& n) {
  return n.domain().empty() || n.domain() == "ai.onnx";
}

// Ops that carry an int8 tensor through unchanged in QOperator graphs.
bool passes_int8_through(const onnx::NodeProto& n) {
  static const std::set<std::string> kOps = {"MaxPool", "Flatten",   "Reshape", "Transpose",
                                             "Squeeze", "Unsqueeze", "Identity"};
  return is_default(n) && kOps.count(n.op_type()) > 0;
}

class Expander {
 public:
  Expander(const std::string& path, onnx::GraphProto* g) : path_(path), g_(g) {
    for (const auto& t : g->initializer()) inits_[t.name()] = &t;
  }

  Status run(int* rewritten) {
    *rewritten = 0;
    for (const onnx::NodeProto& n : g_->node()) {
      if (n.output_size() == 0 || n.output(0).empty()) {  // left to the model checks
        out_.push_back(n);
        continue;
      }
      TANDEM_ASSIGN_OR_RETURN(bool done, expand(n));
      if (done) {
        ++*rewritten;
        continue;
      }
      if (passes_int8_through(n) && n.input_size() > 0 && quant_.count(n.input(0))) {
        wrap_pass_through(n);
        ++*rewritten;
        continue;
      }
      if (is_default(n) && n.op_type() == "QuantizeLinear" && n.input_size() >= 3)
        quant_[n.output(0)] = {n.input(1), n.input(2)};
      out_.push_back(n);
    }
    if (*rewritten == 0) return Status();
    g_->clear_node();
    for (onnx::NodeProto& n : out_) *g_->add_node() = std::move(n);
    return Status();
  }

 private:
  // The QOperator node n as DQ -> op -> Q; false when n is no QOperator node.
  Expected<bool> expand(const onnx::NodeProto& n) {
    const std::string& op = n.op_type();
    if (is_default(n) && op == "QLinearConv") return conv(n);
    if (is_default(n) && op == "QLinearMatMul") return matmul(n);
    if (!is_ms(n)) return false;
    if (op == "QLinearAdd" || op == "QLinearMul")
      return binary(n, op == "QLinearAdd" ? "Add" : "Mul");
    if (op == "QLinearGlobalAveragePool" || op == "QLinearAveragePool") return pool(n);
    if (op == "QLinearConcat") return concat(n);
    if (op == "QGemm") return gemm(n);
    return false;
  }

  std::string describe(const onnx::NodeProto& n) const {
    return path_ + ": " + (is_ms(n) ? std::string(kMsDomain) + "::" : "") + n.op_type() + " '" +
           n.name() + "'";
  }

  // Input k of n, which must be given (a QOperator scale or zero point).
  Expected<std::string> required(const onnx::NodeProto& n, int k, const char* what) const {
    if (n.input_size() <= k || n.input(k).empty())
      return invalid_model(describe(n) + ": " + what + " (input " + std::to_string(k) +
                           ") is missing; Tandem needs every scale and zero point given");
    return n.input(k);
  }

  // Inputs 0..count-1 of n, every one given.
  Expected<std::vector<std::string>> required_inputs(const onnx::NodeProto& n, int count) const {
    std::vector<std::string> in;
    for (int k = 0; k < count; ++k) {
      TANDEM_ASSIGN_OR_RETURN(std::string name, required(n, k, "a QOperator input"));
      in.push_back(name);
    }
    return in;
  }

  Expected<std::vector<float>> floats(const onnx::NodeProto& n, const std::string& name) const {
    auto it = inits_.find(name);
    if (it == inits_.end())
      return unsupported(describe(n) + ": scale '" + name + "' must be an initializer");
    TANDEM_ASSIGN_OR_RETURN(ConstValue v, decode_tensor(*it->second, name));
    if (!v.is_float) return invalid_model(describe(n) + ": scale '" + name + "' is not float");
    return v.f;
  }

  std::string fresh(const std::string& base) { return base + "_qop" + std::to_string(count_++); }

  onnx::NodeProto& emit(const std::string& op, const std::string& name,
                        const std::vector<std::string>& in, const std::vector<std::string>& out) {
    onnx::NodeProto& n = out_.emplace_back();
    n.set_op_type(op);
    n.set_name(name);
    for (const auto& s : in) n.add_input(s);
    for (const auto& s : out) n.add_output(s);
    return n;
  }

  // DequantizeLinear of x (scale s, zero point z; axis when per channel): its output.
  std::string dq(const onnx::NodeProto& n, const std::string& x, const std::string& s,
                 const std::string& z, int64_t axis = -1) {
    const std::string y = fresh(x);
    onnx::NodeProto& d = emit("DequantizeLinear", n.name() + "/dq", {x, s, z}, {y});
    if (axis >= 0) {
      auto* a = d.add_attribute();
      a->set_name("axis"), a->set_type(onnx::AttributeProto::INT), a->set_i(axis);
    }
    return y;
  }

  // QuantizeLinear of x into y (scale s, zero point z); y is then an int8 tensor.
  void q(const onnx::NodeProto& n, const std::string& x, const std::string& s, const std::string& z,
         const std::string& y) {
    emit("QuantizeLinear", n.name() + "/q", {x, s, z}, {y});
    quant_[y] = {s, z};
  }

  // The float op named as n, reading `in`, writing a fresh tensor (returned) or `out`.
  std::string op(const onnx::NodeProto& n, const std::string& type,
                 const std::vector<std::string>& in, bool copy_attrs,
                 const std::set<std::string>& drop = {}) {
    const std::string y = fresh(n.output(0));
    onnx::NodeProto& f = emit(type, n.name(), in, {y});
    if (copy_attrs)
      for (const auto& a : n.attribute())
        if (!drop.count(a.name())) *f.add_attribute() = a;
    return y;
  }

  // Per-channel int32 bias scales sx * sw[m] (sw one value or m) and zero points, as
  // new initializers; DequantizeLinear of the bias with them (axis 0).
  Expected<std::string> bias(const onnx::NodeProto& n, const std::string& b,
                             const std::string& sx_name, const std::string& sw_name) {
    TANDEM_ASSIGN_OR_RETURN(std::vector<float> sx, floats(n, sx_name));
    TANDEM_ASSIGN_OR_RETURN(std::vector<float> sw, floats(n, sw_name));
    auto it = inits_.find(b);
    if (it == inits_.end())
      return unsupported(describe(n) + ": bias '" + b + "' must be an initializer");
    int64_t m = 1;
    for (int64_t d : it->second->dims()) m *= d;
    if (sx.size() != 1 || (sw.size() != 1 && int64_t(sw.size()) != m))
      return invalid_model(describe(n) + ": " + std::to_string(sw.size()) + " weight scales for " +
                           std::to_string(m) + " bias values");
    onnx::TensorProto* s = g_->add_initializer();
    s->set_name(fresh(b + "_scale"));
    s->set_data_type(onnx::TensorProto::FLOAT);
    s->add_dims(m);
    for (int64_t k = 0; k < m; ++k) s->add_float_data(sx[0] * sw[sw.size() == 1 ? 0 : size_t(k)]);
    onnx::TensorProto* z = g_->add_initializer();
    z->set_name(fresh(b + "_zero"));
    z->set_data_type(onnx::TensorProto::INT32);
    z->add_dims(m);
    for (int64_t k = 0; k < m; ++k) z->add_int32_data(0);
    return dq(n, b, s->name(), z->name(), 0);
  }

  // The channel axis of a per-channel weight scale (-1: one scale).
  Expected<int64_t> weight_axis(const onnx::NodeProto& n, const std::string& scale, int64_t axis) {
    TANDEM_ASSIGN_OR_RETURN(std::vector<float> s, floats(n, scale));
    return s.size() > 1 ? axis : -1;
  }

  // QLinearConv(x, sx, zx, w, sw, zw, sy, zy[, B]).
  Expected<bool> conv(const onnx::NodeProto& n) {
    TANDEM_ASSIGN_OR_RETURN(std::vector<std::string> in, required_inputs(n, 8));
    TANDEM_ASSIGN_OR_RETURN(int64_t axis, weight_axis(n, in[4], 0));
    std::vector<std::string> args = {dq(n, in[0], in[1], in[2]), dq(n, in[3], in[4], in[5], axis)};
    if (n.input_size() > 8 && !n.input(8).empty()) {
      TANDEM_ASSIGN_OR_RETURN(std::string b, bias(n, n.input(8), in[1], in[4]));
      args.push_back(b);
    }
    q(n, op(n, "Conv", args, true), in[6], in[7], n.output(0));
    return true;
  }

  // QLinearMatMul(a, sa, za, b, sb, zb, sy, zy): b per column when its scale is a vector.
  Expected<bool> matmul(const onnx::NodeProto& n) {
    TANDEM_ASSIGN_OR_RETURN(std::vector<std::string> in, required_inputs(n, 8));
    TANDEM_ASSIGN_OR_RETURN(int64_t axis, weight_axis(n, in[4], 1));
    const std::string a = dq(n, in[0], in[1], in[2]), b = dq(n, in[3], in[4], in[5], axis);
    q(n, op(n, "MatMul", {a, b}, false), in[6], in[7], n.output(0));
    return true;
  }

  // QLinearAdd / QLinearMul(A, sa, za, B, sb, zb, sc, zc).
  Expected<bool> binary(const onnx::NodeProto& n, const std::string& type) {
    TANDEM_ASSIGN_OR_RETURN(std::vector<std::string> in, required_inputs(n, 8));
    const std::string a = dq(n, in[0], in[1], in[2]), b = dq(n, in[3], in[4], in[5]);
    q(n, op(n, type, {a, b}, false), in[6], in[7], n.output(0));
    return true;
  }

  // QLinearGlobalAveragePool / QLinearAveragePool(X, sx, zx, sy, zy), NCHW only.
  Expected<bool> pool(const onnx::NodeProto& n) {
    for (const auto& a : n.attribute())
      if (a.name() == "channels_last" && a.i() != 0)
        return unsupported(describe(n) + ": channels_last=1 (NHWC) is not supported");
    TANDEM_ASSIGN_OR_RETURN(std::vector<std::string> in, required_inputs(n, 5));
    const bool global = n.op_type() == "QLinearGlobalAveragePool";
    const std::string y = op(n, global ? "GlobalAveragePool" : "AveragePool",
                             {dq(n, in[0], in[1], in[2])}, !global, {"channels_last"});
    q(n, y, in[3], in[4], n.output(0));
    return true;
  }

  // QLinearConcat(sy, zy, x0, s0, z0, x1, s1, z1, ...), attribute axis.
  Expected<bool> concat(const onnx::NodeProto& n) {
    if (n.input_size() < 5 || (n.input_size() - 2) % 3 != 0)
      return invalid_model(describe(n) + ": inputs are not (Y_scale, Y_zero_point, then triples)");
    std::vector<std::string> args;
    for (int k = 2; k < n.input_size(); k += 3) {
      TANDEM_ASSIGN_OR_RETURN(std::string s, required(n, k + 1, "an input's scale"));
      TANDEM_ASSIGN_OR_RETURN(std::string z, required(n, k + 2, "an input's zero point"));
      args.push_back(dq(n, n.input(k), s, z));
    }
    TANDEM_ASSIGN_OR_RETURN(std::string sy, required(n, 0, "Y_scale"));
    TANDEM_ASSIGN_OR_RETURN(std::string zy, required(n, 1, "Y_zero_point"));
    q(n, op(n, "Concat", args, true), sy, zy, n.output(0));
    return true;
  }

  // QGemm(A, sa, za, B, sb, zb[, C][, sy, zy]): alpha 1 only; without sy the output is float.
  Expected<bool> gemm(const onnx::NodeProto& n) {
    bool trans_b = false;
    for (const auto& a : n.attribute()) {
      if (a.name() == "alpha" && a.f() != 1.0f)
        return unsupported(describe(n) + ": alpha " + std::to_string(a.f()) + " (only 1)");
      if (a.name() == "transB") trans_b = a.i() != 0;
    }
    TANDEM_ASSIGN_OR_RETURN(std::vector<std::string> in, required_inputs(n, 6));
    TANDEM_ASSIGN_OR_RETURN(int64_t axis, weight_axis(n, in[4], trans_b ? 0 : 1));
    std::vector<std::string> args = {dq(n, in[0], in[1], in[2]), dq(n, in[3], in[4], in[5], axis)};
    if (n.input_size() > 6 && !n.input(6).empty()) {
      TANDEM_ASSIGN_OR_RETURN(std::string b, bias(n, n.input(6), in[1], in[4]));
      args.push_back(b);
    }
    const bool float_out = n.input_size() <= 7 || n.input(7).empty();
    const std::string y = op(n, "Gemm", args, true);
    if (float_out) {
      emit("Identity", n.name() + "/out", {y}, {n.output(0)});
      return true;
    }
    TANDEM_ASSIGN_OR_RETURN(std::string zy, required(n, 8, "y_zero_point"));
    q(n, y, n.input(7), zy, n.output(0));
    return true;
  }

  // MaxPool, Flatten, ... on an int8 tensor: DQ -> op -> Q at the input's quantization.
  void wrap_pass_through(const onnx::NodeProto& n) {
    const QParams p = quant_.at(n.input(0));  // the caller checked it is int8
    onnx::NodeProto f = n;
    f.set_input(0, dq(n, n.input(0), p.scale, p.zero));
    const std::string y = fresh(n.output(0));
    f.set_output(0, y);
    out_.push_back(std::move(f));
    q(n, y, p.scale, p.zero, n.output(0));
  }

  const std::string& path_;
  onnx::GraphProto* g_;
  std::map<std::string, const onnx::TensorProto*> inits_;
  std::map<std::string, QParams> quant_;  // int8 tensors: their scale and zero point
  std::vector<onnx::NodeProto> out_;
  int count_ = 0;
};

}  // namespace

Status expand_qoperator(const std::string& path, onnx::GraphProto* g, int* rewritten) {
  Expander e(path, g);
  return e.run(rewritten);
}

}  // namespace tandem::onnx_import
