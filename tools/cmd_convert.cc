// `tandem convert MODEL.onnx -o MODEL.tdm [--input-shape NAME=1x3x224x224]`.
// Built only with the ONNX converter (TANDEM_HAVE_ONNX, see tools/CMakeLists.txt).
#if TANDEM_HAVE_ONNX
#include <filesystem>
#include <iostream>
#include <memory>

#include "formats/model_file.h"
#include "formats/onnx/converter.h"
#include "kernels/reference/reference_kernels.h"
#include "tools/commands.h"
#include "tools/reports.h"

namespace tandem::cli {
namespace {

struct ConvertCli {
  CLI::App* app = nullptr;
  ConvertArgs args;
};

int fail(const Status& st) {
  std::cerr << "tandem convert: error: " << st.to_string() << "\n";
  return 1;
}

}  // namespace

Expected<std::string> convert_model(const ConvertArgs& a) {
  namespace fs = std::filesystem;
  std::string out = a.output;
  if (out.empty()) out = fs::path(a.input).replace_extension(".tdm").string();
  // Fail before the (slow) conversion when the result could not be written anyway.
  fs::path parent = fs::path(out).parent_path();
  std::error_code ec;
  if (!parent.empty() && !fs::is_directory(parent, ec))
    return not_found("output folder '" + parent.string() + "' does not exist (for " + out + ")");
  if (fs::exists(out, ec) && fs::is_directory(out, ec))
    return invalid_argument("output '" + out + "' is a folder; give a file name");
  if (fs::exists(a.input, ec) && fs::exists(out, ec) && fs::equivalent(a.input, out, ec))
    return invalid_argument("output '" + out + "' would overwrite the input");

  ConvertOptions opts;
  opts.run_passes = !a.no_passes;
  opts.evaluate_constants = run_reference_node;
  for (const std::string& spec : a.input_shapes) {
    auto parsed = parse_input_shape(spec);
    if (!parsed.ok()) return parsed.status();
    opts.input_shapes[parsed->first] = parsed->second;
  }
  TANDEM_ASSIGN_OR_RETURN(ConvertResult result, convert_onnx(a.input, opts));
  TANDEM_RETURN_IF_ERROR(write_model_file(out, result.graph));
  std::string text = format_convert_summary(result.summary);
  std::error_code size_ec;
  auto bytes = fs::file_size(out, size_ec);
  text += "wrote:       " + out;
  if (!size_ec) text += " (" + std::to_string(bytes) + " bytes)";
  return text + "\n";
}

Command make_convert_command() {
  auto cli = std::make_shared<ConvertCli>();
  ConvertArgs* args = &cli->args;
  Command c;
  c.add = [cli, args](CLI::App& app) {
    cli->app = app.add_subcommand("convert", "Convert an ONNX model to a .tdm model file");
    cli->app->add_option("model", args->input, "ONNX model (.onnx)")->required();
    cli->app->add_option("-o,--output", args->output, "output .tdm file (default: MODEL.tdm)");
    cli->app->add_option("--input-shape", args->input_shapes,
                         "fix a graph input's shape: NAME=1x3x224x224 (repeatable; NAME optional "
                         "for a single input)");
    cli->app->add_flag("--no-passes", args->no_passes, "skip the graph passes (debugging)");
  };
  c.selected = [cli] { return cli->app && cli->app->parsed(); };
  c.run = [cli] {
    auto text = convert_model(cli->args);
    if (!text.ok()) return fail(text.status());
    std::cout << *text;
    return 0;
  };
  return c;
}

}  // namespace tandem::cli

#endif  // TANDEM_HAVE_ONNX
