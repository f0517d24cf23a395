// ztls-cni: enrolls pods with the node's ztls agent during CNI ADD (spec 1.0.0), chained
// after the interface and IPAM plugins. Fail-closed: a pod the agent has not vetted is
// not started.
#include <cstdlib>
#include <exception>
#include <iostream>
#include <iterator>
#include <string>

#include "cni_error.h"
#include "commands.h"
#include "environment.h"
#include "netconf.h"

namespace {

std::string readStdin() {
  std::string text{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
  if (std::cin.bad()) {
    throw ztls::cni::CniError(ztls::cni::kIoFailure, "cannot read the network config from stdin");
  }
  return text;
}

void printError(const ztls::cni::CniError& error, const std::string& version) {
  ztls::cni::Json result;
  result["cniVersion"] = version;
  result["code"] = error.code();
  result["msg"] = error.what();
  result["details"] = error.details();
  std::cout << result.dump() << std::endl;
}

}  // namespace

int main() {
  using namespace ztls::cni;
  std::string responseVersion = kNewestVersion;
  try {
    const Environment env = readEnvironment([](const char* name) { return std::getenv(name); });
    const std::string input = readStdin();
    std::cout << runPlugin(env, input, responseVersion, std::cerr) << std::flush;
    return std::cout.good() ? EXIT_SUCCESS : EXIT_FAILURE;
  } catch (const CniError& error) {
    printError(error, responseVersion);
  } catch (const std::exception& error) {
    printError(CniError(kInternal, std::string("ztls-cni failed: ") + error.what()),
               responseVersion);
  }
  return EXIT_FAILURE;
}
