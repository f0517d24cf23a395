// A throwaway named network namespace ("ztls-t-<pid>-<tag>") with loopback up, made with
// iproute2 as an operator would, and deleted again by the destructor.
#pragma once

#include <filesystem>
#include <string>

namespace ztls::proxy::test {

class ScratchNetns {
 public:
  // Throws std::runtime_error saying what is missing: root, `ip`, or namespace support.
  explicit ScratchNetns(const std::string& tag);
  ~ScratchNetns();
  ScratchNetns(const ScratchNetns&) = delete;
  ScratchNetns& operator=(const ScratchNetns&) = delete;

  const std::string& name() const { return name_; }
  std::filesystem::path path() const { return "/var/run/netns/" + name_; }

 private:
  std::string name_;
};

}  // namespace ztls::proxy::test
