// The mesh root on disk, shared by every node agent that opens the same directory.
#pragma once

#include <filesystem>
#include <string>

#include "root_certificate.h"

namespace ztls::identity::detail {

inline constexpr const char* kRootCertificateFile = "root-cert.pem";
inline constexpr const char* kRootKeyFile = "root-key.pem";
inline constexpr const char* kLockFile = ".lock";

// Reads dir/root-cert.pem and dir/root-key.pem, or creates them (and dir, mode 0700) when
// neither exists. All of it runs under an exclusive flock on dir/.lock, and new files are
// written under temporary names and renamed into place, so concurrent openers (threads
// or processes) never see half a root and never make two. Any other state — one file
// without the other, unreadable or mismatched files — throws std::runtime_error naming
// the file and leaves the directory as it was.
RootMaterial loadOrCreateRoot(const std::filesystem::path& dir, const std::string& trustDomain);

}  // namespace ztls::identity::detail
