#include "loopback.h"

namespace ztls::tls::test {

using asio::ip::tcp;

Loopback::Loopback() : acceptor_(io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0)) {}

std::pair<tcp::socket, tcp::socket> Loopback::asioPair() {
  tcp::socket client(io_);
  client.connect(acceptor_.local_endpoint());
  tcp::socket server = acceptor_.accept();
  return {std::move(client), std::move(server)};
}

std::pair<Fd, tcp::socket> Loopback::rawClientPair() {
  Fd client = proxy::test::connectLoopback(port());
  tcp::socket server = acceptor_.accept();
  return {std::move(client), std::move(server)};
}

std::pair<tcp::socket, Fd> Loopback::rawServerPair() {
  Fd listener = proxy::test::listenLoopback();
  tcp::socket client(io_);
  client.connect(proxy::test::loopback(proxy::test::localPort(listener.get())));
  Fd server = proxy::test::acceptOne(listener.get());
  return {std::move(client), std::move(server)};
}

}  // namespace ztls::tls::test
