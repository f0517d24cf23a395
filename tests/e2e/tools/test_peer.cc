// ztls-test-peer: a deliberately difficult client for the end-to-end tests, run inside a
// lab pod (`ztls-lab exec ... -- ztls-test-peer MODE ...`). It speaks mesh TLS with a
// certificate of the test's choosing, or misbehaves on the wire, and prints one line per
// connection saying what the server did, so that tests assert on behaviour, not on logs
// alone.
//
// Exit codes: 0 the mode ran (for `mesh`: the handshake was accepted), 1 the handshake
// was rejected or the connection could not be made, 2 bad usage or a local failure.
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <map>
#include <random>
#include <thread>

#include "peer_credentials.h"
#include "peer_wire.h"
#include "ztls/tls/alpn.h"

namespace ztls::testpeer {
namespace {

using std::chrono::milliseconds;

constexpr int kRan = 0;
constexpr int kRejected = 1;
constexpr int kLocalFailure = 2;

// ---------------------------------------------------------------------------------------
// mesh: a TLS 1.3 client offering the mesh ALPN with a chosen client certificate.

struct MeshOptions {
  std::string connect;
  std::string caDirectory;
  ClientCertificate certificate = ClientCertificate::kValid;
  std::string identity = "spiffe://cluster.local/ns/legacy/sa/ztls-test-peer";
  std::string httpPath;  // empty: handshake only
  int timeoutMs = 5000;
  // TLS 1.3 clients finish first: the server judges our certificate after that, so its
  // verdict is an alert that arrives later, or silence when it accepted.
  int verdictMs = 1000;
};

using SslCtxPtr = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;
using SslPtr = std::unique_ptr<SSL, decltype(&SSL_free)>;

// Why an SSL call failed, in OpenSSL's words where it has some ("tlsv13 alert
// certificate required").
std::string sslFailure(SSL* ssl, int result) {
  const int savedErrno = errno;
  const int error = SSL_get_error(ssl, result);
  const unsigned long queued = ERR_peek_last_error();
  std::string reason;
  if (queued != 0) {
    const char* text = ERR_reason_error_string(queued);
    reason = text != nullptr ? text : "OpenSSL error " + std::to_string(queued);
    if (const long verify = SSL_get_verify_result(ssl); verify != X509_V_OK) {
      reason += std::string(" (server certificate: ") + X509_verify_cert_error_string(verify) + ")";
    }
  } else if (error == SSL_ERROR_ZERO_RETURN) {
    reason = "the server closed the TLS session";
  } else if (error == SSL_ERROR_SYSCALL && savedErrno == ECONNRESET) {
    reason = "the server reset the connection";
  } else if (error == SSL_ERROR_SYSCALL && savedErrno == EAGAIN) {
    reason = "timed out waiting for the server";
  } else if (error == SSL_ERROR_SYSCALL && savedErrno != 0) {
    reason = std::strerror(savedErrno);
  } else if (error == SSL_ERROR_SYSCALL) {
    reason = "the server closed the connection";
  } else {
    reason = "SSL_get_error " + std::to_string(error);
  }
  ERR_clear_error();
  return reason;
}

std::string spiffeIdOf(const X509* certificate) {
  if (certificate == nullptr) return "(no certificate)";
  const identity::GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type != GEN_URI) continue;
    const ASN1_STRING* uri = name->d.uniformResourceIdentifier;
    return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                       static_cast<std::size_t>(ASN1_STRING_length(uri)));
  }
  return "(no URI SAN)";
}

SslCtxPtr meshClientContext(const Credential& meshRoot,
                            const std::optional<Credential>& presented) {
  SslCtxPtr context(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  if (!context) throw std::runtime_error("SSL_CTX_new failed");
  SSL_CTX_set_min_proto_version(context.get(), TLS1_3_VERSION);
  std::string alpn(1, static_cast<char>(tls::kMeshAlpn.size()));
  alpn += tls::kMeshAlpn;
  SSL_CTX_set_alpn_protos(context.get(), reinterpret_cast<const unsigned char*>(alpn.data()),
                          static_cast<unsigned int>(alpn.size()));
  // The server must chain to the mesh root: a peer that accepted anyone would hide an
  // agent presenting the wrong certificate.
  X509_STORE* store = SSL_CTX_get_cert_store(context.get());
  if (X509_STORE_add_cert(store, meshRoot.certificate.get()) != 1) {
    throw std::runtime_error("cannot trust the mesh root");
  }
  SSL_CTX_set_verify(context.get(), SSL_VERIFY_PEER, nullptr);
  if (presented && (SSL_CTX_use_certificate(context.get(), presented->certificate.get()) != 1 ||
                    SSL_CTX_use_PrivateKey(context.get(), presented->key.get()) != 1)) {
    throw std::runtime_error("cannot load the client certificate");
  }
  return context;
}

// Reads the HTTP response to the end; the agent's verdict on our certificate may come
// instead, as an alert.
struct HttpExchange {
  std::string response;
  std::string failure;  // empty when the server answered and closed cleanly
};

HttpExchange exchangeHttp(SSL* ssl, const std::string& path) {
  HttpExchange exchange;
  const std::string request = httpGet(path);
  if (const int written = SSL_write(ssl, request.data(), static_cast<int>(request.size()));
      written <= 0) {
    exchange.failure = sslFailure(ssl, written);
    // A server that refused our certificate sends an alert and closes; with our request
    // unread on its side the close is a reset, which can fail the write before we read
    // the alert. The alert is still in our receive buffer: prefer its reason.
    char byte = 0;
    if (const int read = SSL_read(ssl, &byte, 1); read <= 0 && ERR_peek_last_error() != 0) {
      exchange.failure = sslFailure(ssl, read);
    }
    return exchange;
  }
  char buffer[16384];
  while (true) {
    const int n = SSL_read(ssl, buffer, sizeof buffer);
    if (n > 0) {
      exchange.response.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (SSL_get_error(ssl, n) == SSL_ERROR_ZERO_RETURN) return exchange;
    // gunicorn closes without close_notify: after a whole response that is the end.
    const std::string why = sslFailure(ssl, n);
    if (exchange.response.empty()) exchange.failure = why;
    return exchange;
  }
}

// Silence for verdictMs means the server accepted us; anything it sends first is read
// (an alert ends the handshake there). A session ticket is not a verdict: OpenSSL takes it
// in and the wait goes on, without blocking, until the window ends.
std::string awaitVerdict(SSL* ssl, int fd, int verdictMs) {
  const auto deadline = std::chrono::steady_clock::now() + milliseconds(verdictMs);
  for (;;) {
    const auto left =
        std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return "";
    pollfd waiting{fd, POLLIN, 0};
    if (SSL_pending(ssl) == 0 && ::poll(&waiting, 1, static_cast<int>(left.count())) == 0) {
      return "";
    }
    // Non-blocking for the peek: after a ticket OpenSSL would otherwise wait for more in
    // recv until the socket's timeout.
    const int flags = ::fcntl(fd, F_GETFL);
    ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    char byte = 0;
    const int n = SSL_peek(ssl, &byte, 1);
    const int error = n > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl, n);
    ::fcntl(fd, F_SETFL, flags);
    if (n > 0) return "";
    // Readable, but nothing for the application: a ticket (or a partial record). Peek
    // again only once more arrives.
    if (error != SSL_ERROR_WANT_READ) return sslFailure(ssl, n);
    ERR_clear_error();
  }
}

int runMesh(const MeshOptions& options) {
  const Credential meshRoot = loadMeshRoot(options.caDirectory);
  const std::optional<Credential> presented =
      makeClientCredential(options.certificate, options.identity, meshRoot);
  const SslCtxPtr context = meshClientContext(meshRoot, presented);
  Socket socket;
  try {
    socket = connectTo(resolve(options.connect), milliseconds(options.timeoutMs));
  } catch (const std::runtime_error& error) {
    std::cout << "handshake failed: " << error.what() << std::endl;
    return kRejected;
  }
  // Blocking TLS calls, each bounded by the socket timeouts.
  const timeval timeout{options.timeoutMs / 1000, (options.timeoutMs % 1000) * 1000};
  ::setsockopt(socket.fd(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(socket.fd(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  SslPtr ssl(SSL_new(context.get()), SSL_free);
  if (!ssl || SSL_set_fd(ssl.get(), socket.fd()) != 1) throw std::runtime_error("SSL_new failed");

  if (const int result = SSL_connect(ssl.get()); result != 1) {
    std::cout << "handshake failed: " << sslFailure(ssl.get(), result) << std::endl;
    return kRejected;
  }
  const unsigned char* selected = nullptr;
  unsigned int selectedLength = 0;
  SSL_get0_alpn_selected(ssl.get(), &selected, &selectedLength);
  if (std::string_view(reinterpret_cast<const char*>(selected), selectedLength) != tls::kMeshAlpn) {
    std::cout << "handshake failed: the server did not select " << tls::kMeshAlpn << std::endl;
    return kRejected;
  }
  const std::string serverId = spiffeIdOf(SSL_get0_peer_certificate(ssl.get()));
  if (options.httpPath.empty()) {
    if (const std::string failure = awaitVerdict(ssl.get(), socket.fd(), options.verdictMs);
        !failure.empty()) {
      std::cout << "handshake failed: " << failure << std::endl;
      return kRejected;
    }
    std::cout << "handshake ok: server " << serverId << std::endl;
    return kRan;
  }
  const HttpExchange exchange = exchangeHttp(ssl.get(), options.httpPath);
  if (!exchange.failure.empty()) {
    std::cout << "handshake failed: " << exchange.failure << std::endl;
    return kRejected;
  }
  const std::string status = httpStatusOf(exchange.response);
  std::cout << "handshake ok: server " << serverId << "; HTTP "
            << (status.empty() ? "response unreadable" : status) << std::endl;
  return kRan;
}

// ---------------------------------------------------------------------------------------
// Hostile modes: each prints "<mode>: ... server=<open|closed|reset> after_ms=N received=N".

struct Target {
  std::string connect;
  int connectTimeoutMs = 5000;
};

Socket connectOrReport(const Target& target, const std::string& mode) {
  try {
    return connectTo(resolve(target.connect), milliseconds(target.connectTimeoutMs));
  } catch (const std::runtime_error& error) {
    std::cout << mode << ": connect failed: " << error.what() << std::endl;
    return Socket();
  }
}

int runGarbage(const Target& target, int bytes, unsigned seed, int watchMs) {
  std::mt19937 random(seed);
  std::vector<std::uint8_t> garbage(static_cast<std::size_t>(bytes));
  for (auto& byte : garbage) byte = static_cast<std::uint8_t>(random());
  // 0x16 opens a TLS handshake record; anything else is not TLS from the first byte on.
  if (!garbage.empty() && garbage.front() == 0x16) garbage.front() = 0x17;
  Socket socket = connectOrReport(target, "garbage");
  if (!socket.isOpen()) return kRejected;
  sendAll(socket.fd(), garbage);
  const Observation seen = watchServer(socket.fd(), milliseconds(watchMs));
  std::cout << "garbage: sent=" << garbage.size() << " " << seen.summary() << std::endl;
  return kRan;
}

// What a client does after the cut: stay silent, send FIN, or send RST.
enum class AfterCut { kHold, kClose, kReset };

int runTruncatedHello(const Target& target, const std::vector<int>& cuts, AfterCut after,
                      const std::string& afterName, int watchMs) {
  const std::vector<std::uint8_t> hello = meshClientHello();
  for (const int cut : cuts) {
    if (cut <= 0 || static_cast<std::size_t>(cut) >= hello.size()) {
      std::cerr << "--cut " << cut << " must be between 1 and " << hello.size() - 1
                << " (the ClientHello is " << hello.size() << " bytes)" << std::endl;
      return kLocalFailure;
    }
  }
  // All cut points at once: the agent waits out its handshake timeout on each, and
  // watching them side by side costs that wait once.
  std::vector<Socket> sockets;
  for (const int cut : cuts) {
    sockets.push_back(connectOrReport(target, "truncated-hello"));
    if (!sockets.back().isOpen()) return kRejected;
    sendAll(sockets.back().fd(), std::span(hello).first(static_cast<std::size_t>(cut)));
    if (after == AfterCut::kClose) ::shutdown(sockets.back().fd(), SHUT_WR);
  }
  if (after == AfterCut::kReset) {
    // Nothing left to watch on our side: the reset is the whole act.
    std::this_thread::sleep_for(milliseconds(50));  // the agent has the bytes first
    for (std::size_t i = 0; i < cuts.size(); ++i) {
      sockets[i].reset();
      std::cout << "truncated-hello: cut=" << cuts[i] << " of=" << hello.size()
                << " then=reset sent" << std::endl;
    }
    return kRan;
  }
  std::vector<Observation> seen(cuts.size());
  std::vector<std::thread> watchers;
  for (std::size_t i = 0; i < cuts.size(); ++i) {
    watchers.emplace_back(
        [&, i] { seen[i] = watchServer(sockets[i].fd(), milliseconds(watchMs)); });
  }
  for (auto& watcher : watchers) watcher.join();
  for (std::size_t i = 0; i < cuts.size(); ++i) {
    std::cout << "truncated-hello: cut=" << cuts[i] << " of=" << hello.size()
              << " then=" << afterName << " " << seen[i].summary() << std::endl;
  }
  return kRan;
}

int runSilent(const Target& target, int watchMs, const std::string& httpPath) {
  Socket socket = connectOrReport(target, "silent");
  if (!socket.isOpen()) return kRejected;
  const Observation seen = watchServer(socket.fd(), milliseconds(watchMs));
  std::string line = "silent: " + seen.summary();
  if (!httpPath.empty() && seen.reaction == ServerReaction::kOpen) {
    // Speaking after the silence: the connection must still reach the app.
    std::string status = "none";
    try {
      sendAll(socket.fd(), httpGet(httpPath));
      const Observation answer = watchServer(socket.fd(), milliseconds(target.connectTimeoutMs));
      if (const std::string code = httpStatusOf(answer.received); !code.empty()) status = code;
    } catch (const std::runtime_error&) {
      status = "send-failed";
    }
    line += " http_status=" + status;
  }
  std::cout << line << std::endl;
  return kRan;
}

int runResetMidHandshake(const Target& target, int watchMs) {
  const std::vector<std::uint8_t> hello = meshClientHello();
  Socket socket = connectOrReport(target, "reset-mid-handshake");
  if (!socket.isOpen()) return kRejected;
  sendAll(socket.fd(), hello);
  // The server's first flight says it is inside the handshake, waiting for our
  // certificate: that is when the reset lands.
  const Observation seen = watchServer(socket.fd(), milliseconds(watchMs), true);
  socket.reset();
  std::cout << "reset-mid-handshake: sent=" << hello.size() << " " << seen.summary()
            << " then=reset-sent" << std::endl;
  return kRan;
}

// Silent connections say nothing; half-closed ones send FIN straight away and nothing
// else. Both kinds are held until the end, whatever the server does.
int runFlood(const Target& target, int connections, int holdMs) {
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }
  const sockaddr_in address = resolve(target.connect);
  std::vector<Socket> sockets;
  std::vector<pollfd> pending;
  for (int i = 0; i < connections; ++i) {
    Socket socket(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!socket.isOpen()) {
      std::cerr << "flood: socket: " << std::strerror(errno) << std::endl;
      return kLocalFailure;
    }
    if (::connect(socket.fd(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 &&
        errno != EINPROGRESS) {
      std::cout << "flood: connect failed: " << std::strerror(errno) << std::endl;
      return kRejected;
    }
    pending.push_back({socket.fd(), POLLOUT, 0});
    sockets.push_back(std::move(socket));
  }
  int connected = 0;
  int failed = 0;
  const auto connectDeadline =
      std::chrono::steady_clock::now() + milliseconds(target.connectTimeoutMs);
  while (connected + failed < connections && std::chrono::steady_clock::now() < connectDeadline) {
    if (::poll(pending.data(), pending.size(), 100) < 0 && errno != EINTR) break;
    for (auto& entry : pending) {
      if (entry.fd < 0 || entry.revents == 0) continue;
      int error = 0;
      socklen_t length = sizeof error;
      ::getsockopt(entry.fd, SOL_SOCKET, SO_ERROR, &error, &length);
      (error == 0 ? connected : failed) += 1;
      entry.fd = -1;  // decided: poll ignores negative descriptors
    }
  }
  for (int i = 1; i < connections; i += 2) ::shutdown(sockets[i].fd(), SHUT_WR);

  // What the server did to each connection while we held them all.
  std::vector<ServerReaction> reactions(sockets.size(), ServerReaction::kOpen);
  std::vector<pollfd> watched;
  for (const auto& socket : sockets) watched.push_back({socket.fd(), POLLIN, 0});
  const auto holdUntil = std::chrono::steady_clock::now() + milliseconds(holdMs);
  char buffer[4096];
  while (true) {
    const auto left =
        std::chrono::duration_cast<milliseconds>(holdUntil - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    if (::poll(watched.data(), watched.size(), static_cast<int>(left.count())) < 0 &&
        errno != EINTR) {
      break;
    }
    for (std::size_t i = 0; i < watched.size(); ++i) {
      if (watched[i].fd < 0 || watched[i].revents == 0) continue;
      const ssize_t n = ::recv(watched[i].fd, buffer, sizeof buffer, MSG_DONTWAIT);
      if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR))) continue;
      reactions[i] = n == 0 ? ServerReaction::kClosed : ServerReaction::kReset;
      watched[i].fd = -1;
    }
  }
  std::map<std::string, int> counts;
  for (std::size_t i = 0; i < reactions.size(); ++i) {
    counts[std::string(i % 2 == 0 ? "silent_" : "half_closed_") +
           std::string(toString(reactions[i]))] += 1;
  }
  std::cout << "flood: connections=" << connections << " connected=" << connected
            << " failed=" << failed << " hold_ms=" << holdMs;
  for (const char* style : {"silent_", "half_closed_"}) {
    for (const auto reaction :
         {ServerReaction::kOpen, ServerReaction::kClosed, ServerReaction::kReset}) {
      const std::string key = style + std::string(toString(reaction));
      std::cout << " " << key << "=" << counts[key];
    }
  }
  std::cout << std::endl;
  return kRan;
}

// ---------------------------------------------------------------------------------------

void addTarget(CLI::App& command, Target& target) {
  command.add_option("--connect", target.connect, "HOST:PORT to connect to")->required();
  command.add_option("--connect-timeout-ms", target.connectTimeoutMs, "Per connection attempt")
      ->capture_default_str();
}

int run(int argc, char** argv) {
  CLI::App app{
      "ztls-test-peer: a mesh TLS client with chosen certificates, and misbehaving "
      "clients, for the ztls end-to-end tests"};
  app.require_subcommand(1);

  MeshOptions mesh;
  auto* meshCommand = app.add_subcommand("mesh", "Mesh TLS handshake (ALPN ztls-mtls/1)");
  meshCommand->add_option("--connect", mesh.connect, "HOST:PORT")->required();
  meshCommand->add_option("--ca-dir", mesh.caDirectory, "The lab's mesh CA directory")->required();
  const std::map<std::string, ClientCertificate> certificates{
      {"none", ClientCertificate::kNone},
      {"other-root", ClientCertificate::kOtherRoot},
      {"expired", ClientCertificate::kExpired},
      {"valid", ClientCertificate::kValid}};
  meshCommand->add_option("--cert", mesh.certificate, "none|other-root|expired|valid")
      ->required()
      ->transform(CLI::CheckedTransformer(certificates, CLI::ignore_case));
  meshCommand->add_option("--identity", mesh.identity, "SPIFFE ID in the client certificate")
      ->capture_default_str();
  meshCommand->add_option("--http-get", mesh.httpPath, "After the handshake, GET this path");
  meshCommand->add_option("--timeout-ms", mesh.timeoutMs, "Connect and I/O timeout")
      ->capture_default_str();
  meshCommand
      ->add_option("--verdict-ms", mesh.verdictMs,
                   "Without --http-get: how long silence counts as acceptance")
      ->capture_default_str();

  Target target;
  int garbageBytes = 256;
  unsigned seed = 1;
  int watchMs = 1000;
  auto* garbageCommand = app.add_subcommand("garbage", "Random bytes, then watch the server");
  addTarget(*garbageCommand, target);
  garbageCommand->add_option("--bytes", garbageBytes)->capture_default_str();
  garbageCommand->add_option("--seed", seed)->capture_default_str();
  garbageCommand->add_option("--watch-ms", watchMs)->capture_default_str();

  std::vector<int> cuts;
  std::string then = "hold";
  auto* truncatedCommand = app.add_subcommand(
      "truncated-hello", "The first N bytes of a mesh ClientHello, one connection per --cut");
  addTarget(*truncatedCommand, target);
  truncatedCommand->add_option("--cut", cuts, "Bytes to send (repeatable)")->required();
  truncatedCommand->add_option("--then", then, "hold: stay silent; close: send FIN; reset: RST")
      ->check(CLI::IsMember({"hold", "close", "reset"}))
      ->capture_default_str();
  truncatedCommand->add_option("--watch-ms", watchMs)->capture_default_str();

  std::string httpPath;
  auto* silentCommand = app.add_subcommand("silent", "Connect and say nothing");
  addTarget(*silentCommand, target);
  silentCommand->add_option("--watch-ms", watchMs, "How long to stay silent")
      ->capture_default_str();
  silentCommand->add_option("--http-get", httpPath, "Then, if still open, GET this path");

  auto* resetCommand = app.add_subcommand(
      "reset-mid-handshake", "A mesh ClientHello, then RST once the server has answered");
  addTarget(*resetCommand, target);
  resetCommand->add_option("--watch-ms", watchMs, "Longest wait for the server's answer")
      ->capture_default_str();

  int connections = 500;
  int holdMs = 2000;
  auto* floodCommand = app.add_subcommand(
      "flood", "Many connections at once, alternately silent and half-closed, held open");
  addTarget(*floodCommand, target);
  floodCommand->add_option("--connections", connections)->capture_default_str();
  floodCommand->add_option("--hold-ms", holdMs)->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? kRan : kLocalFailure;
  }

  if (meshCommand->parsed()) return runMesh(mesh);
  if (garbageCommand->parsed()) return runGarbage(target, garbageBytes, seed, watchMs);
  if (truncatedCommand->parsed()) {
    const AfterCut after = then == "close"   ? AfterCut::kClose
                           : then == "reset" ? AfterCut::kReset
                                             : AfterCut::kHold;
    return runTruncatedHello(target, cuts, after, then, watchMs);
  }
  if (silentCommand->parsed()) return runSilent(target, watchMs, httpPath);
  if (resetCommand->parsed()) return runResetMidHandshake(target, watchMs);
  return runFlood(target, connections, holdMs);
}

}  // namespace
}  // namespace ztls::testpeer

int main(int argc, char** argv) {
  try {
    return ztls::testpeer::run(argc, argv);
  } catch (const std::exception& error) {
    std::cerr << "ztls-test-peer: " << error.what() << std::endl;
    return ztls::testpeer::kLocalFailure;
  }
}
