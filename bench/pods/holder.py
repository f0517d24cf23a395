# holder.py HOST PORT COUNT: opens COUNT connections to the sink through a data path, waits
# for the sink's byte on each, prints "held COUNT", and keeps them open until stdin closes.
import resource
import socket
import sys

host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft < count + 64:
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

connections = []
for _ in range(count):
    connection = socket.create_connection((host, port), timeout=30)
    connections.append(connection)
for connection in connections:
    if connection.recv(1) != b"k":
        sys.exit("the sink did not greet a held connection")
print("held %d" % len(connections), flush=True)
sys.stdin.read()
for connection in connections:
    connection.close()
