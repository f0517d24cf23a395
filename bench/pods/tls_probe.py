# tls_probe.py HOST PORT CA [CERT KEY]: one mutual-TLS handshake with a proxy's server side,
# then reads the greeter's "hi" through it. Prints one line:
#   ok VERSION CIPHER        the handshake and the greeting went through
#   refused REASON           the proxy ended the connection (or the handshake failed)
import socket
import ssl
import sys

host, port, ca = sys.argv[1], int(sys.argv[2]), sys.argv[3]
context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
context.minimum_version = ssl.TLSVersion.TLSv1_3
context.check_hostname = False
context.load_verify_locations(ca)
if len(sys.argv) > 5:
    context.load_cert_chain(sys.argv[4], sys.argv[5])
try:
    with socket.create_connection((host, port), timeout=5) as raw:
        with context.wrap_socket(raw) as tls:
            # TLS 1.3: a server rejects the client's certificate after the client's side
            # of the handshake is done, so only reading tells whether it was accepted.
            greeting = tls.recv(2)
            if greeting != b"hi":
                print("refused connection closed without a greeting")
            else:
                print("ok", tls.version(), tls.cipher()[0])
except (ssl.SSLError, OSError) as error:
    print("refused", str(error).replace("\n", " "))
