// Which host program the lab runs for a container image.
#include "lab/images.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace ztls::lab {
namespace {

config::Container container(const std::string& image, std::vector<std::string> command = {},
                            std::vector<std::string> args = {},
                            std::vector<config::ContainerPort> ports = {}) {
  return {"app", image, std::move(command), std::move(args), std::move(ports)};
}

std::vector<std::string> gunicornOn(const std::string& port) {
  // python3 -c <launcher> runs gunicorn with the arguments after the launcher.
  const std::vector<std::string> command = commandForContainer(container("kennethreitz/httpbin"));
  EXPECT_GE(command.size(), 3u);
  const std::string launcher = command.size() >= 3 ? command[2] : "";
  EXPECT_NE(launcher.find("gunicorn"), std::string::npos) << launcher;
  return {
      "/usr/bin/python3", "-c", launcher,           "--bind", "0.0.0.0:" + port, "--workers", "1",
      "--threads",        "8",  "--access-logfile", "-",      "httpbin:app"};
}

std::string errorFor(const config::Container& spec) {
  try {
    commandForContainer(spec);
  } catch (const std::runtime_error& error) {
    return error.what();
  }
  ADD_FAILURE() << "expected an error for image " << spec.image;
  return "";
}

TEST(CommandForContainer, HttpbinRunsGunicornOnTheContainerPort) {
  EXPECT_EQ(
      commandForContainer(container("docker.io/kennethreitz/httpbin", {}, {}, {{80, "http"}})),
      gunicornOn("80"));
  EXPECT_EQ(commandForContainer(container("mccutchen/go-httpbin:v2.15.0", {}, {}, {{8080, ""}})),
            gunicornOn("8080"));
}

TEST(CommandForContainer, HttpbinWithoutPortsListensOn80) {
  EXPECT_EQ(commandForContainer(container("kennethreitz/httpbin@sha256:0123abcd")),
            gunicornOn("80"));
}

TEST(CommandForContainer, CurlImageIdles) {
  EXPECT_EQ(commandForContainer(container("curlimages/curl")),
            (std::vector<std::string>{"sleep", "infinity"}));
  EXPECT_EQ(commandForContainer(container("docker.io/curlimages/curl:8.5.0")),
            (std::vector<std::string>{"sleep", "infinity"}));
}

TEST(CommandForContainer, HostProgramCommandRunsAsWrittenWithArgs) {
  EXPECT_EQ(commandForContainer(container("curlimages/curl", {"/bin/sleep"}, {"3600"})),
            (std::vector<std::string>{"/bin/sleep", "3600"}));
  EXPECT_EQ(commandForContainer(container("example.com/app:1", {"sleep", "5"}, {"extra"})),
            (std::vector<std::string>{"sleep", "5", "extra"}));
}

TEST(CommandForContainer, CommandMissingOnHostFallsBackToTheImage) {
  EXPECT_EQ(commandForContainer(
                container("kennethreitz/httpbin", {"/opt/httpbin/run"}, {}, {{8000, "http"}})),
            gunicornOn("8000"));
}

TEST(CommandForContainer, UnknownImageWithoutCommandNamesTheImage) {
  const std::string message = errorFor(container("nginx:1.25"));
  EXPECT_NE(message.find("container \"app\": the lab cannot run image \"nginx:1.25\""),
            std::string::npos)
      << message;
}

TEST(CommandForContainer, UnknownImageWithForeignCommandNamesBoth) {
  EXPECT_EQ(errorFor(container("example.com/app:1", {"/opt/app/run"})),
            "container \"app\": its command \"/opt/app/run\" is not a program on this host and "
            "the lab does not know image \"example.com/app:1\"");
}

}  // namespace
}  // namespace ztls::lab
