# New-connection server: greets and closes, from 4 accepting threads. Cheap next to a TLS
# handshake, so through a data path the rate it sees is the data path's connection rate.
import socket
import threading

server = socket.create_server(("0.0.0.0", 7000), backlog=1024)


def serve():
    while True:
        connection, _ = server.accept()
        connection.sendall(b"hi")
        connection.close()


for _ in range(4):
    threading.Thread(target=serve, daemon=True).start()
threading.Event().wait()
