// Errors as values: Status and Expected<T>. No exception crosses the library
// boundary; messages name the file, node or tensor at fault.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace tandem {

enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument = 1,    // bad user input: spec, shape, CLI argument
  kInvalidModel = 2,       // malformed or inconsistent model file
  kUnsupported = 3,        // valid but not supported (op, dtype, schema version)
  kNotFound = 4,           // missing file, tensor, device
  kIoError = 5,            // read/write/mmap failure
  kResourceExhausted = 6,  // memory limits, device out of memory
  kInternal = 7,           // broken invariant or backend failure
  kCancelled = 8,          // pipeline shut down with the frame in flight
};

const char* status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok_status() { return Status(); }
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "InvalidModel: model.tdm: node 'conv1' ..."
  std::string to_string() const;
  // Returns a copy with `prefix: ` put before the message (adds context going up).
  Status with_context(const std::string& prefix) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status invalid_argument(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status invalid_model(std::string m) {
  return {StatusCode::kInvalidModel, std::move(m)};
}
inline Status unsupported(std::string m) {
  return {StatusCode::kUnsupported, std::move(m)};
}
inline Status not_found(std::string m) {
  return {StatusCode::kNotFound, std::move(m)};
}
inline Status io_error(std::string m) {
  return {StatusCode::kIoError, std::move(m)};
}
inline Status resource_exhausted(std::string m) {
  return {StatusCode::kResourceExhausted, std::move(m)};
}
inline Status internal_error(std::string m) {
  return {StatusCode::kInternal, std::move(m)};
}

// A value or the Status saying why there is none.
template <typename T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  Expected(Status status) : status_(std::move(status)) {  // NOLINT
    assert(!status_.ok() && "Expected built from an ok Status");
  }
  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace tandem

#define TANDEM_CONCAT_INNER(a, b) a##b
#define TANDEM_CONCAT(a, b) TANDEM_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function when it is an error.
#define TANDEM_RETURN_IF_ERROR(expr) \
  do {                               \
    ::tandem::Status _st = (expr);   \
    if (!_st.ok()) return _st;       \
  } while (0)

// `TANDEM_ASSIGN_OR_RETURN(auto x, make_x());`
#define TANDEM_ASSIGN_OR_RETURN(lhs, expr) \
  TANDEM_ASSIGN_OR_RETURN_IMPL(TANDEM_CONCAT(_exp_, __LINE__), lhs, expr)
#define TANDEM_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()
