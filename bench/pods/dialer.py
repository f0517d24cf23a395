# dialer.py SECONDS HOST PORT: opens, reads the greeting and closes, as fast as it can from
# 4 threads; prints connections per second.
import socket
import sys
import threading
import time

seconds, host, port = float(sys.argv[1]), sys.argv[2], int(sys.argv[3])
deadline = time.monotonic() + seconds
counts = [0] * 4


def dial(slot):
    while time.monotonic() < deadline:
        with socket.create_connection((host, port)) as connection:
            if connection.recv(2) == b"hi":
                counts[slot] += 1


threads = [threading.Thread(target=dial, args=(i,)) for i in range(4)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print("%.0f" % (sum(counts) / seconds))
