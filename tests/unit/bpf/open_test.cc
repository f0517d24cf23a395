// Capture::open's failures name what is wrong instead of surfacing later.
#include <bpf/bpf.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "scratch.h"
#include "ztls/bpf/capture.h"

namespace ztls::bpf::test {
namespace {

TEST(CaptureOpen, PinDirectoryOutsideBpffsIsRejectedByName) {
  const std::string missing = missingPrivileges();
  ASSERT_TRUE(missing.empty()) << missing;
  const std::filesystem::path notBpffs =
      std::filesystem::temp_directory_path() / scratchName("pins");
  try {
    const Capture capture = Capture::open(notBpffs);
    ADD_FAILURE() << "opened a Capture pinned in " << notBpffs;
  } catch (const std::exception& error) {
    EXPECT_NE(std::string(error.what()).find(notBpffs.string()), std::string::npos) << error.what();
  }
  std::filesystem::remove_all(notBpffs);
}

TEST(CaptureOpen, CgroupThatIsNotCgroupV2IsRejectedByName) {
  const std::string missing = missingPrivileges();
  ASSERT_TRUE(missing.empty()) << missing;
  const std::filesystem::path pinDir = "/sys/fs/bpf/" + scratchName("open");
  {
    Capture capture = Capture::open(pinDir);
    try {
      capture.attachCgroup("/tmp");
      ADD_FAILURE() << "attached to /tmp";
    } catch (const std::exception& error) {
      EXPECT_NE(std::string(error.what()).find("/tmp"), std::string::npos) << error.what();
    }
  }
  Capture::removePins(pinDir);
}

// A node's pinned state from an agent built with another abi.h must not be
// silently replaced (that would drop every enrollment) nor misread.
TEST(CaptureOpen, PinnedMapOfAnotherShapeIsRefused) {
  const std::string missing = missingPrivileges();
  ASSERT_TRUE(missing.empty()) << missing;
  const std::filesystem::path pinDir = "/sys/fs/bpf/" + scratchName("shape");
  { const Capture mountsBpffs = Capture::open(pinDir); }
  Capture::removePins(pinDir);
  std::filesystem::create_directories(pinDir);
  const UniqueFd old(bpf_map_create(BPF_MAP_TYPE_HASH, "enrolled_netns", sizeof(__u32),
                                    sizeof(__u32), 16, nullptr));
  ASSERT_TRUE(old) << std::strerror(errno);
  ASSERT_EQ(bpf_obj_pin(old.get(), (pinDir / "enrolled_netns").c_str()), 0) << std::strerror(errno);

  try {
    const Capture capture = Capture::open(pinDir);
    ADD_FAILURE() << "reused a pinned map of another shape";
  } catch (const std::exception& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find((pinDir / "enrolled_netns").string()), std::string::npos) << message;
    EXPECT_NE(message.find("key 4 B"), std::string::npos) << message;
  }
  Capture::removePins(pinDir);
}

}  // namespace
}  // namespace ztls::bpf::test
