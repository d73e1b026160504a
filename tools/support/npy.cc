#include "tools/support/npy.h"

#include <cstring>
#include <fstream>
#include <sstream>

namespace tandem {
namespace {

// Value of `key` in the header dict ("'descr': '<f4'"), trimmed; empty if absent.
std::string header_field(const std::string& header, const std::string& key) {
  size_t k = header.find("'" + key + "'");
  if (k == std::string::npos) return "";
  size_t colon = header.find(':', k);
  if (colon == std::string::npos) return "";
  size_t start = header.find_first_not_of(" ", colon + 1);
  if (start == std::string::npos) return "";
  size_t end =
      header[start] == '(' ? header.find(')', start) + 1 : header.find_first_of(",}", start);
  if (end == std::string::npos || end == 0) return "";
  return header.substr(start, end - start);
}

}  // namespace

Expected<NpyArray> read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found(path + ": cannot open .npy file");
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0)
    return invalid_argument(path + ": not a .npy file (bad magic)");
  uint32_t header_len = 0;
  if (magic[6] == 1) {
    unsigned char b[2];
    if (!in.read(reinterpret_cast<char*>(b), 2))
      return invalid_argument(path + ": truncated .npy header");
    header_len = b[0] | (b[1] << 8);
  } else if (magic[6] == 2 || magic[6] == 3) {
    unsigned char b[4];
    if (!in.read(reinterpret_cast<char*>(b), 4))
      return invalid_argument(path + ": truncated .npy header");
    header_len = b[0] | (b[1] << 8) | (b[2] << 16) | (uint32_t(b[3]) << 24);
  } else {
    return unsupported(path + ": .npy version " + std::to_string(int(magic[6])) + " not supported");
  }
  if (header_len > (1u << 20)) return invalid_argument(path + ": .npy header too large");
  std::string header(header_len, '\0');
  if (!in.read(header.data(), header_len))
    return invalid_argument(path + ": truncated .npy header");
  std::string descr = header_field(header, "descr");
  if (descr != "'<f4'" && descr != "'float32'")
    return unsupported(
        path + ": dtype " + (descr.empty() ? "(missing)" : descr) +
        " is not supported; Tandem reads float32 arrays (save with .astype(np.float32))");
  if (header_field(header, "fortran_order") != "False")
    return unsupported(path + ": Fortran-order arrays are not supported; save in C order");
  std::string shape_text = header_field(header, "shape");
  if (shape_text.size() < 2 || shape_text.front() != '(')
    return invalid_argument(path + ": malformed shape in .npy header");
  NpyArray a;
  std::stringstream ss(shape_text.substr(1, shape_text.size() - 2));
  std::string item;
  while (std::getline(ss, item, ',')) {
    size_t p = item.find_first_not_of(' ');
    if (p == std::string::npos) continue;
    try {
      long long d = std::stoll(item.substr(p));
      if (d < 0 || d > (1LL << 31)) return invalid_argument(path + ": absurd dimension " + item);
      a.shape.push_back(d);
    } catch (...) {
      return invalid_argument(path + ": malformed shape " + shape_text);
    }
  }
  int64_t n = shape_elements(a.shape);
  if (n < 0 || n > (1LL << 32)) return invalid_argument(path + ": array too large");
  a.data.resize(static_cast<size_t>(n));
  if (!in.read(reinterpret_cast<char*>(a.data.data()), static_cast<std::streamsize>(n * 4)))
    return invalid_argument(path + ": truncated .npy data (expected " + std::to_string(n) +
                            " floats)");
  return a;
}

Status write_npy(const std::string& path, const NpyArray& a) {
  std::string shape = "(";
  for (size_t i = 0; i < a.shape.size(); ++i)
    shape +=
        std::to_string(a.shape[i]) + (a.shape.size() == 1 || i + 1 < a.shape.size() ? "," : "");
  shape += ")";
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  if (!out) return io_error(path + ": cannot open for writing");
  out.write("\x93NUMPY\x01\x00", 8);
  unsigned char len[2] = {static_cast<unsigned char>(header.size() & 0xff),
                          static_cast<unsigned char>(header.size() >> 8)};
  out.write(reinterpret_cast<char*>(len), 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(reinterpret_cast<const char*>(a.data.data()),
            static_cast<std::streamsize>(a.data.size() * 4));
  if (!out) return io_error(path + ": write failed");
  return Status();
}

}  // namespace tandem
