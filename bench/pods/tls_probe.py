# tls_probe.py HOST PORT CA [CERT KEY]: a mutual-TLS handshake with a proxy's server side,
# reading the greeter's "hi" through it, then a second one offering the first's session.
# Prints one line:
#   ok VERSION CIPHER RESUMPTION  both went through; RESUMPTION is "resumes" when the
#                                 server side accepted the ticket, "no-resumption" if not
#   refused REASON                the proxy ended the connection (or the handshake failed)
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


def greet(session=None):
    with socket.create_connection((host, port), timeout=5) as raw:
        with context.wrap_socket(raw, session=session) as tls:
            # TLS 1.3: a server rejects the client's certificate after the client's side
            # of the handshake is done, so only reading tells whether it was accepted. The
            # read also takes in the server's ticket.
            if tls.recv(2) != b"hi":
                raise OSError("connection closed without a greeting")
            return tls.version(), tls.cipher()[0], tls.session, tls.session_reused


try:
    version, cipher, session, _ = greet()
    resumed = greet(session)[3]
    print("ok", version, cipher, "resumes" if resumed else "no-resumption")
except (ssl.SSLError, OSError) as error:
    print("refused", str(error).replace("\n", " "))
