#include "daemon/handover.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "api/socket_file.h"
#include "ztls/api/endpoint_json.h"

namespace ztls::daemon {
namespace {

constexpr int kProtocolVersion = 1;

std::system_error lastError(const std::string& what) {
  return {errno, std::system_category(), what};
}

sockaddr_un unixAddress(const std::filesystem::path& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.native().size() >= sizeof address.sun_path) {
    throw std::invalid_argument("hand-over socket path too long: " + path.native());
  }
  std::memcpy(address.sun_path, path.c_str(), path.native().size());
  return address;
}

nlohmann::json endpointJson(const api::ConnectionEndpoint& endpoint) {
  return api::toJson(endpoint);
}

std::string stringOr(const nlohmann::json& object, const char* key) {
  const auto found = object.find(key);
  if (found == object.end() || found->is_null()) return {};
  if (!found->is_string()) throw std::runtime_error(std::string(key) + " is not a string");
  return found->get<std::string>();
}

api::ConnectionEndpoint endpointFrom(const nlohmann::json& object) {
  if (!object.is_object()) throw std::runtime_error("a connection end is not an object");
  return {stringOr(object, "address"), stringOr(object, "workload"), stringOr(object, "identity")};
}

nlohmann::json admissionJson(const std::optional<InboundAdmission>& admission) {
  if (!admission) return nullptr;
  const auto& a = *admission;
  return {{"namespace", a.namespace_},
          {"name", a.name},
          {"port", a.port},
          {"mutualTls", a.mutualTls},
          {"sourcePrincipal", a.attributes.sourcePrincipal
                                  ? nlohmann::json(*a.attributes.sourcePrincipal)
                                  : nlohmann::json(nullptr)},
          {"sourceIp", a.attributes.sourceIp},
          {"destinationIp", a.attributes.destinationIp},
          {"destinationPort", a.attributes.destinationPort}};
}

std::optional<InboundAdmission> admissionFrom(const nlohmann::json& object) {
  if (object.is_null()) return std::nullopt;
  InboundAdmission a;
  a.namespace_ = object.at("namespace").get<std::string>();
  a.name = object.at("name").get<std::string>();
  a.port = object.at("port").get<std::uint16_t>();
  a.mutualTls = object.at("mutualTls").get<bool>();
  if (const std::string principal = stringOr(object, "sourcePrincipal"); !principal.empty()) {
    a.attributes.sourcePrincipal = principal;
  }
  a.attributes.sourceIp = object.at("sourceIp").get<std::string>();
  a.attributes.destinationIp = object.at("destinationIp").get<std::string>();
  a.attributes.destinationPort = object.at("destinationPort").get<std::uint16_t>();
  return a;
}

nlohmann::json directionJson(const tls::PausedKernelRelay::Direction& direction) {
  return {{"ended", direction.ended},
          {"rewriting", direction.rewriting},
          {"pipe", direction.pipeRead && direction.pipeWrite}};
}

void expectType(int fd, mode_t type, const char* what) {
  struct stat info {};
  if (::fstat(fd, &info) != 0) throw lastError(std::string("fstat of the ") + what);
  if ((info.st_mode & S_IFMT) != type) {
    throw std::runtime_error(std::string("the descriptor sent as the ") + what + " is not one");
  }
}

// The socket must already carry the kernel's TLS layer: relaying to a plain TCP socket
// would put plaintext on the wire.
void expectKernelTls(int fd) {
  expectType(fd, S_IFSOCK, "kernel TLS socket");
  char ulp[16]{};
  socklen_t length = sizeof ulp;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_ULP, ulp, &length) != 0) {
    throw lastError("TCP_ULP of the kernel TLS socket");
  }
  if (std::string_view(ulp, strnlen(ulp, sizeof ulp)) != "tls") {
    throw std::runtime_error("the socket sent as kernel TLS has no TLS layer");
  }
}

}  // namespace

nlohmann::json recordJson(const ConnectionRecord& record) {
  const auto age = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - record.started);
  return {{"direction", record.direction},
          {"source", endpointJson(record.source)},
          {"destination", endpointJson(record.destination)},
          {"security", record.security},
          {"decision", record.decision},
          {"reason", record.reason},
          {"relay", record.relay},
          {"xfcc", record.xfcc},
          {"ageMs", age.count()},
          {"bytesDownstreamToUpstream", record.counters.bytesDownstreamToUpstream.load()},
          {"bytesUpstreamToDownstream", record.counters.bytesUpstreamToDownstream.load()},
          {"admission", admissionJson(record.admission)}};
}

std::shared_ptr<ConnectionRecord> recordFrom(const nlohmann::json& json) {
  try {
    auto record = std::make_shared<ConnectionRecord>();
    record->direction = json.at("direction").get<std::string>();
    if (record->direction != "inbound" && record->direction != "outbound") {
      throw std::runtime_error("direction is neither inbound nor outbound");
    }
    record->source = endpointFrom(json.at("source"));
    record->destination = endpointFrom(json.at("destination"));
    record->security = json.at("security").get<std::string>();
    record->decision = json.at("decision").get<std::string>();
    record->reason = json.at("reason").get<std::string>();
    record->relay = json.at("relay").get<std::string>();
    record->xfcc = json.at("xfcc").get<std::string>();
    const auto age = json.at("ageMs").get<std::int64_t>();
    if (age < 0) throw std::runtime_error("negative age");
    record->started -= std::chrono::milliseconds(age);
    record->counters.bytesDownstreamToUpstream =
        json.at("bytesDownstreamToUpstream").get<std::uint64_t>();
    record->counters.bytesUpstreamToDownstream =
        json.at("bytesUpstreamToDownstream").get<std::uint64_t>();
    record->admission = admissionFrom(json.at("admission"));
    return record;
  } catch (const nlohmann::json::exception& error) {
    throw std::runtime_error(std::string("connection record: ") + error.what());
  }
}

EncodedConnection encodeConnection(const ConnectionRecord& record,
                                   const tls::PausedKernelRelay& relay) {
  EncodedConnection out;
  out.body = {{"type", "connection"},
              {"record", recordJson(record)},
              {"relay",
               {{"role", tls::toString(relay.role)},
                {"cipher", tls::toString(relay.cipher)},
                {"toTls", directionJson(relay.toTls)},
                {"fromTls", directionJson(relay.fromTls)}}}};
  out.fds = {relay.plain.get(), relay.tls.get()};
  for (const auto* direction : {&relay.toTls, &relay.fromTls}) {
    if (direction->pipeRead && direction->pipeWrite) {
      out.fds.push_back(direction->pipeRead.get());
      out.fds.push_back(direction->pipeWrite.get());
    }
  }
  return out;
}

HandedOverConnection decodeConnection(HandoverMessage message) {
  try {
    const nlohmann::json& body = message.body;
    if (body.value("type", "") != "connection") throw std::runtime_error("not a connection");
    const nlohmann::json& relayJson = body.at("relay");
    HandedOverConnection out;
    out.record = recordFrom(body.at("record"));

    tls::PausedKernelRelay& relay = out.relay;
    const std::string role = relayJson.at("role").get<std::string>();
    if (role != "client" && role != "server") throw std::runtime_error("role " + role);
    relay.role = role == "client" ? tls::Role::kClient : tls::Role::kServer;
    const auto cipher = tls::meshCipherNamed(relayJson.at("cipher").get<std::string>());
    if (!cipher) throw std::runtime_error("not a mesh cipher");
    relay.cipher = *cipher;
    const bool toTlsPipe = relayJson.at("toTls").at("pipe").get<bool>();
    const bool fromTlsPipe = relayJson.at("fromTls").at("pipe").get<bool>();
    relay.toTls.ended = relayJson.at("toTls").at("ended").get<bool>();
    relay.fromTls.ended = relayJson.at("fromTls").at("ended").get<bool>();
    relay.fromTls.rewriting = relayJson.at("fromTls").at("rewriting").get<bool>();
    if (relay.fromTls.rewriting && out.record->xfcc.empty()) {
      throw std::runtime_error("a rewriting direction without the value to rewrite with");
    }
    const std::size_t expected = 2 + (toTlsPipe ? 2 : 0) + (fromTlsPipe ? 2 : 0);
    if (message.fds.size() != expected) {
      throw std::runtime_error("carries " + std::to_string(message.fds.size()) +
                               " descriptors, not " + std::to_string(expected));
    }
    expectType(message.fds[0].get(), S_IFSOCK, "plain socket");
    expectKernelTls(message.fds[1].get());
    std::size_t next = 2;
    for (auto* direction :
         {toTlsPipe ? &relay.toTls : nullptr, fromTlsPipe ? &relay.fromTls : nullptr}) {
      if (direction == nullptr) continue;
      expectType(message.fds[next].get(), S_IFIFO, "pipe");
      expectType(message.fds[next + 1].get(), S_IFIFO, "pipe");
      direction->pipeRead = std::move(message.fds[next]);
      direction->pipeWrite = std::move(message.fds[next + 1]);
      next += 2;
    }
    relay.plain = std::move(message.fds[0]);
    relay.tls = std::move(message.fds[1]);
    return out;
  } catch (const nlohmann::json::exception& error) {
    throw std::runtime_error(std::string("hand-over connection message: ") + error.what());
  } catch (const std::runtime_error& error) {
    throw std::runtime_error(std::string("hand-over connection message: ") + error.what());
  }
}

Takeover takeOverFrom(const std::filesystem::path& socketPath, std::chrono::milliseconds timeout) {
  Takeover takeover;
  UniqueFd peer(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!peer) throw lastError("hand-over socket");
  const sockaddr_un address = unixAddress(socketPath);
  if (::connect(peer.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    if (errno == ENOENT || errno == ECONNREFUSED) return takeover;  // no agent before us
    throw lastError("connect to the previous agent at " + socketPath.native());
  }
  takeover.found = true;
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout);
  const timeval limit{static_cast<time_t>(seconds.count()),
                      static_cast<suseconds_t>((timeout - seconds).count() * 1000)};
  ::setsockopt(peer.get(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  ::setsockopt(peer.get(), SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  sendHandoverMessage(peer.get(), {{"type", "takeover"},
                                   {"version", kProtocolVersion},
                                   {"pid", static_cast<std::int64_t>(::getpid())}});
  for (;;) {
    std::optional<HandoverMessage> message;
    try {
      message = receiveHandoverMessage(peer.get());
    } catch (const std::system_error& error) {
      throw std::runtime_error("the previous agent did not finish the hand-over: " +
                               std::string(error.what()));
    }
    if (!message) {
      throw std::runtime_error("the previous agent closed the hand-over before it was done");
    }
    const std::string type = message->body.value("type", "");
    if (type == "done") {
      takeover.previousPid = static_cast<pid_t>(message->body.value("pid", 0));
      takeover.draining = message->body.value("draining", std::uint64_t{0});
      return takeover;
    }
    if (type != "connection") {
      takeover.problems.push_back("unknown hand-over message type \"" + type + "\" ignored");
      continue;
    }
    try {
      takeover.connections.push_back(decodeConnection(std::move(*message)));
    } catch (const std::exception& error) {
      // Its descriptors close with the message: both peers of that connection see it end.
      takeover.problems.emplace_back(error.what());
    }
  }
}

HandoverListener::HandoverListener(std::filesystem::path path) : path_(std::move(path)) {
  listening_.reset(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!listening_) throw lastError("hand-over socket");
  wakeup_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wakeup_) throw lastError("hand-over eventfd");
  const sockaddr_un address = unixAddress(path_);
  std::filesystem::create_directories(path_.parent_path());
  ::unlink(path_.c_str());
  {
    // Root's only: whoever connects here is given live connections.
    api::ScopedUmask ownerOnly(S_IRWXG | S_IRWXO | S_IXUSR);
    if (::bind(listening_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) !=
        0) {
      throw lastError("bind the hand-over socket " + path_.native());
    }
  }
  if (::listen(listening_.get(), 4) != 0) throw lastError("listen on the hand-over socket");
  struct stat info {};
  if (::stat(path_.c_str(), &info) == 0) {
    device_ = info.st_dev;
    inode_ = info.st_ino;
  }
}

HandoverListener::~HandoverListener() { stop(); }

void HandoverListener::stop() {
  if (stopped_.exchange(true)) return;
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto written = ::write(wakeup_.get(), &one, sizeof one);
  // A successor may already have bound its own socket here.
  struct stat info {};
  if (::stat(path_.c_str(), &info) == 0 && info.st_dev == device_ && info.st_ino == inode_) {
    ::unlink(path_.c_str());
  }
}

std::optional<UniqueFd> HandoverListener::waitForTakeover() {
  while (!stopped_) {
    pollfd waits[2] = {{listening_.get(), POLLIN, 0}, {wakeup_.get(), POLLIN, 0}};
    if (::poll(waits, 2, -1) < 0) {
      if (errno == EINTR) continue;
      spdlog::error("hand-over socket: poll: {}", std::strerror(errno));
      return std::nullopt;
    }
    if (stopped_ || (waits[1].revents & POLLIN) != 0) return std::nullopt;
    UniqueFd peer(::accept4(listening_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!peer) continue;
    ucred credentials{};
    socklen_t length = sizeof credentials;
    if (::getsockopt(peer.get(), SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0 ||
        credentials.uid != ::geteuid()) {
      spdlog::warn("hand-over socket: refused a caller of uid {} (pid {})", credentials.uid,
                   credentials.pid);
      continue;
    }
    // The request should follow at once; a caller that says nothing is dropped.
    const timeval limit{5, 0};
    ::setsockopt(peer.get(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    try {
      const auto request = receiveHandoverMessage(peer.get());
      if (request && request->body.value("type", "") == "takeover" &&
          request->body.value("version", 0) == kProtocolVersion && request->fds.empty()) {
        spdlog::info("hand-over: pid {} asks to take over", credentials.pid);
        const timeval none{0, 0};
        ::setsockopt(peer.get(), SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
        return peer;
      }
      spdlog::warn("hand-over socket: pid {} sent no valid takeover request", credentials.pid);
    } catch (const std::exception& error) {
      spdlog::warn("hand-over socket: pid {}: {}", credentials.pid, error.what());
    }
  }
  return std::nullopt;
}

void sendHandover(int peer, const std::vector<HandedOverConnection>& connections,
                  std::uint64_t draining) {
  for (const auto& connection : connections) {
    const EncodedConnection encoded = encodeConnection(*connection.record, connection.relay);
    sendHandoverMessage(peer, encoded.body, encoded.fds);
  }
  sendHandoverMessage(peer, {{"type", "done"},
                             {"pid", static_cast<std::int64_t>(::getpid())},
                             {"handedOver", connections.size()},
                             {"draining", draining}});
}

}  // namespace ztls::daemon
