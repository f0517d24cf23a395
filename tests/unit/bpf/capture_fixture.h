// A Capture on a pin directory of its own, removed with everything pinned
// in it after each test, and the network of a pod reachable from a client.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "scratch.h"
#include "sockets.h"
#include "ztls/bpf/capture.h"

namespace ztls::bpf::test {

class CaptureTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  Capture& capture();  // opened on first use
  // Destroys the Capture as an agent exit would; the pins stay.
  void stopAgent() { capture_.reset(); }
  std::uint64_t counter(ztls_verdict_reason reason) { return capture().verdictCounters()[reason]; }

  std::filesystem::path pinDir_;

 private:
  std::optional<Capture> capture_;
};

// A pod namespace and a client namespace joined by a veth pair:
// pod 10.213.0.1 / fd00:213::1, client 10.213.0.2 / fd00:213::2.
struct PodNetwork {
  PodNetwork();

  sockaddr_storage podAddress(int family, std::uint16_t port) const;

  ScratchNetns pod{"pod"};
  ScratchNetns client{"client"};
  std::uint64_t podCookie = 0;
};

std::string errnoText(int error);

}  // namespace ztls::bpf::test
