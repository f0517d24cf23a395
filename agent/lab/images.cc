#include "lab/images.h"

#include <fmt/format.h>
#include <unistd.h>

#include <stdexcept>

namespace ztls::lab {
namespace {

bool hostHasProgram(const std::string& program) {
  if (program.find('/') != std::string::npos) return ::access(program.c_str(), X_OK) == 0;
  for (const char* dir :
       {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"}) {
    if (::access((std::string(dir) + "/" + program).c_str(), X_OK) == 0) return true;
  }
  return false;
}

// "docker.io/kennethreitz/httpbin:latest" → "httpbin"
std::string imageBaseName(const std::string& image) {
  std::string name = image.substr(image.rfind('/') == std::string::npos ? 0 : image.rfind('/') + 1);
  name = name.substr(0, name.find('@'));
  return name.substr(0, name.find(':'));
}

// The kennethreitz/httpbin image answers with indented JSON, and the walkthrough's printed
// output (`curl .../headers -s | grep X-Forwarded-Client-Cert`) shows it so. Debian's
// Flask 2.2 is compact by default: turn that off, then run gunicorn in this process, with
// the remaining arguments, on the adjusted app.
constexpr std::string_view kHttpbinLauncher = R"(import sys, httpbin
if hasattr(httpbin.app, "json") and hasattr(httpbin.app.json, "compact"):
    httpbin.app.json.compact = False
httpbin.app.config["JSONIFY_PRETTYPRINT_REGULAR"] = True
from gunicorn.app.wsgiapp import run
sys.argv = ["gunicorn"] + sys.argv[1:]
run()
)";

}  // namespace

std::vector<std::string> commandForContainer(const config::Container& container) {
  if (!container.command.empty() && hostHasProgram(container.command.front())) {
    std::vector<std::string> argv = container.command;
    argv.insert(argv.end(), container.args.begin(), container.args.end());
    return argv;
  }
  const std::string base = imageBaseName(container.image);
  if (base == "httpbin" || base == "go-httpbin") {
    const std::uint16_t port = container.ports.empty() ? 80 : container.ports.front().port;
    // Debian's gunicorn under the system python3, which has python3-httpbin.
    return {"/usr/bin/python3",
            "-c",
            std::string(kHttpbinLauncher),
            "--bind",
            fmt::format("0.0.0.0:{}", port),
            "--workers",
            "1",
            "--threads",
            "8",
            "--access-logfile",
            "-",
            "httpbin:app"};
  }
  if (base == "curl" || base == "sleep") return {"sleep", "infinity"};
  if (!container.command.empty()) {
    throw std::runtime_error(fmt::format(
        "container \"{}\": its command \"{}\" is not a program on this host and the lab does not "
        "know image \"{}\"",
        container.name, container.command.front(), container.image));
  }
  throw std::runtime_error(fmt::format(
      "container \"{}\": the lab cannot run image \"{}\" (it knows httpbin and curl images, and "
      "containers whose command is a program on this host)",
      container.name, container.image));
}

}  // namespace ztls::lab
