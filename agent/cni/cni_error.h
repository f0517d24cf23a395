// A CNI error result (spec 1.0.0, "Error" section): printed as JSON on stdout with a
// non-zero exit. Codes below 100 are the spec's; 100 and up are ours.
#pragma once

#include <stdexcept>
#include <string>

namespace ztls::cni {

enum ErrorCode : int {
  kIncompatibleVersion = 1,
  kUnknownContainer = 3,
  kInvalidEnvironment = 4,
  kIoFailure = 5,
  kDecodeFailure = 6,
  kInvalidNetworkConfig = 7,
  kTryAgainLater = 11,
  // The agent answered, and said no: retrying without a change will not help.
  kAgentRefused = 100,
  // CHECK: the agent does not know the pod, or knows it in another network namespace.
  kPodNotEnrolled = 101,
  // A bug in ztls-cni itself; the pod is refused rather than left unprotected.
  kInternal = 102,
};

class CniError : public std::runtime_error {
 public:
  CniError(int code, const std::string& msg, std::string details = "")
      : std::runtime_error(msg), code_(code), details_(std::move(details)) {}

  int code() const { return code_; }
  const std::string& details() const { return details_; }

 private:
  int code_;
  std::string details_;
};

}  // namespace ztls::cni
