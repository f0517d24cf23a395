#include "capture_fixture.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace ztls::bpf::test {

void CaptureTest::SetUp() {
  const std::string missing = missingPrivileges();
  ASSERT_TRUE(missing.empty()) << missing;
  std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  std::replace(test.begin(), test.end(), '/', '_');  // parameterised tests: "Name/0"
  pinDir_ = std::filesystem::path("/sys/fs/bpf") /
            ("ztls-test-" + std::to_string(::getpid()) + "-" + test);
}

void CaptureTest::TearDown() {
  capture_.reset();
  try {
    Capture::removePins(pinDir_);
  } catch (const std::exception& error) {
    ADD_FAILURE() << error.what();
  }
}

Capture& CaptureTest::capture() {
  if (!capture_) capture_.emplace(Capture::open(pinDir_));
  return *capture_;
}

PodNetwork::PodNetwork() {
  pod.ip("link add eth0 type veth peer name eth0 netns " + client.name());
  pod.ip("addr add 10.213.0.1/24 dev eth0");
  pod.ip("addr add fd00:213::1/64 dev eth0 nodad");
  pod.ip("link set eth0 up");
  client.ip("addr add 10.213.0.2/24 dev eth0");
  client.ip("addr add fd00:213::2/64 dev eth0 nodad");
  client.ip("link set eth0 up");
  podCookie = netnsCookieOf(pod.fd());
}

sockaddr_storage PodNetwork::podAddress(int family, std::uint16_t port) const {
  return socketAddress(family == AF_INET ? "10.213.0.1" : "fd00:213::1", port);
}

std::string errnoText(int error) {
  return error == 0 ? "success" : std::string(std::strerror(error));
}

}  // namespace ztls::bpf::test
