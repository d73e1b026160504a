// SVG drawing of a PlanPicture (see plan_svg.h). Pure text, no dependencies.
#include "tools/plan_svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "tools/cli_util.h"

namespace tandem {
namespace {

using cli::appendf;

const char* const kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                "#9467bd", "#8c564b", "#e377c2", "#17becf"};
const char* colour(int p) {
  return kColours[size_t(p) % (sizeof(kColours) / sizeof(*kColours))];
}

// Long names keep their end ("~s.10/expand3x3/Conv"): ONNX names share their
// beginnings and end with what tells nodes apart.
std::string xml_escape(const std::string& s, size_t max_chars = 0) {
  std::string text = s;
  if (max_chars && text.size() > max_chars) text = "~" + text.substr(text.size() - max_chars + 1);
  std::string out;
  for (char c : text) switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += (static_cast<unsigned char>(c) < 0x20) ? ' ' : c;
    }
  return out;
}

// 1, 2 or 5 times a power of ten, at least v.
double nice_ceiling(double v) {
  if (!(v > 0)) return 1;
  const double p = std::pow(10.0, std::floor(std::log10(v)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * p >= v * 0.999) return m * p;
  return 10 * p;
}

struct Layout {
  int nodes = 1;
  double left = 70, top = 80, plot_w = 600, plot_h = 300;
  double y_max = 1;
  double label_h = 120;  // rotated node names under the axis
  double x_cut(int c) const { return left + plot_w * c / nodes; }
  double x_node(int n) const { return left + plot_w * (n + 0.5) / nodes; }
  double y(double ms) const { return top + plot_h * (1 - ms / y_max); }
  double bottom() const { return top + plot_h; }
};

Layout make_layout(const PlanPicture& pic) {
  Layout l;
  l.nodes = std::max<int>(1, int(pic.nodes.size()));
  l.plot_w = std::clamp(l.nodes * 12.0, 640.0, 1500.0);
  double max_ms = 0;
  for (const auto& row : pic.node_ms)
    for (double v : row)
      if (std::isfinite(v)) max_ms = std::max(max_ms, v);
  l.y_max = nice_ceiling(max_ms);
  return l;
}

void draw_axes(std::string& o, const PlanPicture& pic, const Layout& l) {
  for (int t = 0; t <= 5; ++t) {
    const double ms = l.y_max * t / 5, y = l.y(ms);
    appendf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", l.left,
            y, l.left + l.plot_w, y);
    appendf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"11\">%g</text>\n",
            l.left - 6, y + 4, ms);
  }
  appendf(o,
          "<text transform=\"translate(18,%.1f) rotate(-90)\" text-anchor=\"middle\" "
          "font-size=\"12\">ms per node (profiled)</text>\n",
          l.top + l.plot_h / 2);
  appendf(o,
          "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
          "stroke=\"#444\"/>\n",
          l.left, l.top, l.plot_w, l.plot_h);
  // Node names: all of them up to ~70, else every k-th.
  const int n = int(pic.nodes.size());
  const int every = std::max(1, (n + 69) / 70);
  for (int i = 0; i < n; i += every) {
    const double x = l.x_node(i), y = l.bottom() + 8;
    appendf(o,
            "<text transform=\"translate(%.1f,%.1f) rotate(-60)\" text-anchor=\"end\" "
            "font-size=\"9\">%d %s</text>\n",
            x + 3, y, i, xml_escape(pic.nodes[size_t(i)], 18).c_str());
  }
}

// Shaded band per step (its first processor's colour), with its number on top.
void draw_steps(std::string& o, const PlanPicture& pic, const Layout& l) {
  for (size_t s = 0; s < pic.steps.size(); ++s) {
    const auto& st = pic.steps[s];
    const double x0 = l.x_cut(st.first_node), x1 = l.x_cut(st.last_node);
    const int p = st.processors.empty() ? 0 : st.processors[0];
    appendf(o,
            "<rect class=\"step\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
            "fill=\"%s\" fill-opacity=\"0.10\"/>\n",
            x0, l.top, std::max(0.0, x1 - x0), l.plot_h, colour(p));
    appendf(o,
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11\" "
            "font-weight=\"bold\" fill=\"%s\">S%zu %.2f ms</text>\n",
            std::clamp((x0 + x1) / 2, l.left + 40, l.left + l.plot_w - 40), l.top - 6, colour(p),
            s + 1, st.ms);
  }
}

// Dashed vertical lines at every step boundary.
void draw_cuts(std::string& o, const PlanPicture& pic, const Layout& l) {
  for (size_t s = 1; s < pic.steps.size(); ++s) {
    const int c = pic.steps[s].first_node;
    appendf(o,
            "<line class=\"cut\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#000\" "
            "stroke-width=\"1.5\" stroke-dasharray=\"6,4\"><title>cut before node %d</title>"
            "</line>\n",
            l.x_cut(c), l.top - 2, l.x_cut(c), l.bottom() + 4, c);
  }
}

// One path per processor over nodes [first, last), broken where unsupported.
std::string series_path(const std::vector<double>& ms, const Layout& l, int first, int last) {
  std::string d;
  bool pen = false;
  for (int n = first; n < last && n < int(ms.size()); ++n) {
    if (!std::isfinite(ms[size_t(n)])) {
      pen = false;
      continue;
    }
    appendf(d, "%s%.1f %.1f ", pen ? "L" : "M", l.x_node(n), l.y(ms[size_t(n)]));
    pen = true;
  }
  return d;
}

// Thin lines for every processor; thick where a step runs on that processor.
void draw_series(std::string& o, const PlanPicture& pic, const Layout& l) {
  const int n = int(pic.nodes.size());
  for (size_t p = 0; p < pic.node_ms.size(); ++p) {
    appendf(o,
            "<path class=\"series\" d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1\" "
            "stroke-opacity=\"0.6\"/>\n",
            series_path(pic.node_ms[p], l, 0, n).c_str(), colour(int(p)));
    if (n <= 120)
      for (int i = 0; i < n && i < int(pic.node_ms[p].size()); ++i)
        if (std::isfinite(pic.node_ms[p][size_t(i)]))
          appendf(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\" fill=\"%s\"/>\n", l.x_node(i),
                  l.y(pic.node_ms[p][size_t(i)]), colour(int(p)));
  }
  for (const auto& st : pic.steps)
    for (int p : st.processors)
      if (p >= 0 && size_t(p) < pic.node_ms.size())
        appendf(o, "<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"3\"/>\n",
                series_path(pic.node_ms[size_t(p)], l, st.first_node, st.last_node).c_str(),
                colour(p));
}

// Under the names: a legend of processors, then one line per step.
double draw_legend(std::string& o, const PlanPicture& pic, const Layout& l) {
  double y = l.bottom() + l.label_h;
  for (size_t p = 0; p < pic.processors.size(); ++p, y += 18) {
    appendf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"22\" height=\"4\" fill=\"%s\"/>\n", l.left,
            y - 5, colour(int(p)));
    appendf(o, "<text class=\"processor\" x=\"%.1f\" y=\"%.1f\" font-size=\"12\">%s</text>\n",
            l.left + 30, y, xml_escape(pic.processors[p]).c_str());
    double sum = 0;
    for (double v : pic.node_ms[p])
      if (std::isfinite(v)) sum += v;
    appendf(o,
            "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#555\">%.3f ms for every "
            "node it runs</text>\n",
            l.left + 260, y, sum);
  }
  y += 6;
  for (size_t s = 0; s < pic.steps.size(); ++s, y += 16) {
    const auto& st = pic.steps[s];
    std::string procs;
    for (int p : st.processors)
      procs += (procs.empty() ? "" : " + ") +
               (p >= 0 && size_t(p) < pic.processors.size() ? pic.processors[size_t(p)] : "?");
    auto name = [&](int n) {
      return n >= 0 && size_t(n) < pic.nodes.size() ? pic.nodes[size_t(n)] : std::string("?");
    };
    appendf(o,
            "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\">S%zu: nodes %d-%d (%s .. %s) on %s: "
            "%.3f ms per frame</text>\n",
            l.left, y, s + 1, st.first_node, st.last_node - 1,
            xml_escape(name(st.first_node), 24).c_str(),
            xml_escape(name(st.last_node - 1), 24).c_str(), xml_escape(procs).c_str(), st.ms);
  }
  return y + 10;
}

}  // namespace

std::string plan_svg(const PlanPicture& pic) {
  const Layout l = make_layout(pic);
  std::string body;
  draw_steps(body, pic, l);
  draw_axes(body, pic, l);
  draw_series(body, pic, l);
  draw_cuts(body, pic, l);
  const double height = draw_legend(body, pic, l);
  const double width = std::max(l.left + l.plot_w + 30, 760.0);

  std::string o = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  appendf(o,
          "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%.0f\" "
          "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\">\n",
          width, height, width, height);
  appendf(o, "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n");
  appendf(o,
          "<text x=\"%.1f\" y=\"20\" font-size=\"15\" font-weight=\"bold\">%s</text>\n"
          "<text x=\"%.1f\" y=\"38\" font-size=\"13\">%s plan, %zu step%s, predicted %.2f FPS "
          "(period %.3f ms per frame)</text>\n",
          l.left, xml_escape(pic.title, 80).c_str(), l.left, xml_escape(pic.kind).c_str(),
          pic.steps.size(), pic.steps.size() == 1 ? "" : "s", pic.predicted_fps, pic.period_ms);
  appendf(o,
          "<text x=\"%.1f\" y=\"54\" font-size=\"11\" fill=\"#555\">each node's cost per "
          "processor; thick: where the plan runs it; bands: steps (S, predicted time per frame); "
          "dashed: cuts</text>\n",
          l.left);
  return o + body + "</svg>\n";
}

}  // namespace tandem
