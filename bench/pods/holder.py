# holder.py HOST PORT COUNT: opens COUNT connections to the sink through a data path, in
# batches of 50 (each batch greeted by the sink before the next opens, so handshakes do
# not pile up), prints "held COUNT", and keeps them open until stdin closes.
import resource
import socket
import sys

BATCH = 50
host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft < count + 64:
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

connections = []
while len(connections) < count:
    batch = [socket.create_connection((host, port), timeout=30)
             for _ in range(min(BATCH, count - len(connections)))]
    for connection in batch:
        if connection.recv(1) != b"k":
            sys.exit("the sink did not greet a held connection")
    connections += batch
print("held %d" % len(connections), flush=True)
sys.stdin.read()
for connection in connections:
    connection.close()
