"""The proxies users would deploy instead of ztls, placed where the two agents sit.

Each pair is two processes: a client side in node2's network namespace (plaintext from
the client pod in, mutual TLS out) and a server side in node1's (mutual TLS in,
plaintext to the server pod out). Unlike the agents they capture nothing, so the client
pod dials node2's address and a port per service. Both sides run TLS 1.3 only, with the
ztls agents' ciphersuites in the same order (agent/tls/context.cc), ECDSA P-256 leaves
from one CA, certificate verification both ways, and session resumption as each does it
by default (TLS 1.3 tickets; ztls resumes between agents too, see agent/tls/context.h).
"""

import os
import re
import resource
import subprocess
import time
from pathlib import Path

from lab import PODS_DIR, PYTHON, SERVICES, node_address

CIPHERSUITES = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"
GROUPS = "X25519:P-256"
CLIENT_NODE, SERVER_NODE = "node2", "node1"


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


class Certificates:
    """One CA and the proxies' leaves: the lab's mesh root when its key is readable
    (so peers and agents share a trust anchor), otherwise a P-256 root made here."""

    def __init__(self, directory, mesh_ca):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        certificate, key = mesh_ca
        if os.access(key, os.R_OK) and certificate.exists():
            self.ca, self.ca_key = certificate, key
            self.source = f"the lab's mesh CA ({certificate.parent})"
        else:
            self.ca, self.ca_key = self.directory / "ca.pem", self.directory / "ca-key.pem"
            openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", str(self.ca_key), "-out", str(self.ca),
                    "-subj", "/O=ztls-bench/CN=ztls-bench root", "-days", "2",
                    "-addext", "basicConstraints=critical,CA:TRUE",
                    "-addext", "keyUsage=critical,keyCertSign")
            self.source = "a P-256 CA made for this run (the mesh CA key was not readable)"
        self.trust_domain = self._trust_domain()

    def _trust_domain(self):
        subject = subprocess.run(["openssl", "x509", "-in", str(self.ca), "-noout", "-subject",
                                  "-nameopt", "RFC2253"], capture_output=True, text=True).stdout
        found = re.search(r"CN=ztls mesh root ([^,\s]+)", subject)
        return found.group(1) if found else "cluster.local"

    def leaf(self, name):
        """(certificate, key) for `name`, with a SPIFFE URI and the DNS name NAME.bench."""
        certificate = self.directory / f"{name}.pem"
        key = self.directory / f"{name}-key.pem"
        request = self.directory / f"{name}.csr"
        extensions = self.directory / f"{name}.ext"
        extensions.write_text(
            "basicConstraints=critical,CA:FALSE\n"
            "keyUsage=critical,digitalSignature\n"
            "extendedKeyUsage=serverAuth,clientAuth\n"
            f"subjectAltName=URI:spiffe://{self.trust_domain}/ns/bench/sa/{name},"
            f"DNS:{name}.bench\n")
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", str(key), "-out", str(request), "-subj", f"/O=ztls-bench/CN={name}")
        openssl("x509", "-req", "-in", str(request), "-CA", str(self.ca), "-CAkey",
                str(self.ca_key), "-set_serial", "0x" + os.urandom(12).hex(), "-days", "2",
                "-sha256", "-extfile", str(extensions), "-out", str(certificate))
        return certificate, key


def listening_ports(pid):
    """TCP ports the process's network namespace listens on."""
    ports = set()
    try:
        table = Path(f"/proc/{pid}/net/tcp").read_text()
    except OSError:  # the process has exited
        return ports
    for line in table.splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A":
            ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


class ProxyPair:
    """Shared by both pairs: ports, placement, processes and the verification probe.
    Subclasses write one side's configuration and name the command that runs it."""

    name = ""
    threads_note = ""

    def __init__(self, lab, certificates, directory, port_base, backend_ip):
        self.lab = lab
        self.certificates = certificates
        self.directory = Path(directory) / self.name
        self.directory.mkdir(parents=True, exist_ok=True)
        # One port per service, the same on both sides: node2:P -> node1:P -> pod.
        self.ports = {service: port_base + i for i, service in enumerate(SERVICES)}
        self.processes = {}
        self.leaves = {}
        self.backend = backend_ip  # the server pod, in the uncaptured namespace
        self.key = self.name
        self.namespace = "direct"  # an uncaptured client pod: the pair does the TLS

    @property
    def description(self):
        return (f"{self.name} on node2 and node1 (in their network namespaces), plain TCP "
                f"relays with mutual TLS between them, {self.threads_note}; the client pod, "
                f"not captured, dials {node_address(CLIENT_NODE)}:{min(self.ports.values())}+; "
                "no per-connection log lines")

    def address(self, service):
        return node_address(CLIENT_NODE), self.ports[service]

    def leaf_name(self, node):
        return f"{self.name}-{node}"

    def start(self):
        for node in (SERVER_NODE, CLIENT_NODE):
            self.leaves[node] = self.certificates.leaf(self.leaf_name(node))
            config = self.write_config(node, *self.leaves[node])
            log = open(self.directory / f"{node}.log", "w")
            self.processes[node] = subprocess.Popen(
                ["ip", "netns", "exec", self.lab.node_netns(node), *self.command(config)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
            log.close()
        for node, process in self.processes.items():
            self._wait_listening(node, process)

    def _wait_listening(self, node, process):
        deadline = time.monotonic() + 15
        while not set(self.ports.values()) <= listening_ports(process.pid):
            if process.poll() is not None or time.monotonic() > deadline:
                log = (self.directory / f"{node}.log").read_text()[-2000:]
                raise RuntimeError(f"{self.name} on {node} did not come up:\n{log}")
            time.sleep(0.05)

    def pids(self):
        return [process.pid for process in self.processes.values()]

    def stop(self):
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes = {}

    def probe(self):
        """Handshakes from node2 with the server side's greeter port: with the client
        leaf (must pass, shows version and cipher) and without a certificate (must be
        refused). The probe's client offers TLS_AES_256_GCM_SHA384 first, so the cipher
        shows whether the server side keeps its own order. Returns the two result lines."""
        certificate, key = self.leaves[CLIENT_NODE]
        host, port = node_address(SERVER_NODE), str(self.ports["greet"])
        base = ["ip", "netns", "exec", self.lab.node_netns(CLIENT_NODE), PYTHON,
                str(PODS_DIR / "tls_probe.py"), host, port, str(self.certificates.ca)]
        with_leaf = subprocess.run(base + [str(certificate), str(key)], capture_output=True,
                                   text=True).stdout.strip()
        without = subprocess.run(base, capture_output=True, text=True).stdout.strip()
        return with_leaf, without


class HaproxyPair(ProxyPair):
    name = "haproxy"
    threads_note = "nbthread 1, one process per side"

    def command(self, config):
        return ["haproxy", "-db", "-f", str(config)]

    def write_config(self, node, certificate, key):
        bundle = self.directory / f"{node}-bundle.pem"  # haproxy wants cert and key in one
        bundle.write_text(certificate.read_text() + key.read_text())
        # haproxy wants two descriptors per connection and refuses to start without them.
        maxconn = min(10000, (resource.getrlimit(resource.RLIMIT_NOFILE)[1] - 100) // 2)
        lines = [
            "global",
            "    nbthread 1",
            f"    maxconn {maxconn}",
            f"    ssl-default-bind-ciphersuites {CIPHERSUITES}",
            f"    ssl-default-bind-curves {GROUPS}",
            "    ssl-default-bind-options ssl-min-ver TLSv1.3 ssl-max-ver TLSv1.3",
            f"    ssl-default-server-ciphersuites {CIPHERSUITES}",
            "    ssl-default-server-options ssl-min-ver TLSv1.3 ssl-max-ver TLSv1.3",
            "    ssl-server-verify required",
            "defaults",
            "    mode tcp",
            f"    maxconn {maxconn}",
            "    timeout connect 5s",
            "    timeout client 1h",
            "    timeout server 1h",
        ]
        ca = self.certificates.ca
        for service, port in self.ports.items():
            if node == CLIENT_NODE:
                listen = f"bind {node_address(CLIENT_NODE)}:{port}"
                upstream = (f"server {SERVER_NODE} {node_address(SERVER_NODE)}:{port} ssl "
                            f"crt {bundle} ca-file {ca} verify required "
                            f"verifyhost {self.leaf_name(SERVER_NODE)}.bench")
            else:
                listen = (f"bind {node_address(SERVER_NODE)}:{port} ssl crt {bundle} "
                          f"ca-file {ca} verify required")
                upstream = f"server pod {self.backend}:{SERVICES[service][1]}"
            lines += [f"listen {service}", f"    {listen}", f"    {upstream}"]
        config = self.directory / f"{node}.cfg"
        config.write_text("\n".join(lines) + "\n")
        return config


class StunnelPair(ProxyPair):
    name = "stunnel"
    threads_note = "one process per side, a thread per connection (stunnel's model)"

    def command(self, config):
        return ["stunnel4", str(config)]

    def write_config(self, node, certificate, key):
        peer = SERVER_NODE if node == CLIENT_NODE else CLIENT_NODE
        lines = [
            "foreground = quiet",
            "pid =",
            "debug = warning",
            f"output = {self.directory / (node + '.log')}",
            # Service-level options before the first section apply to every section.
            f"cert = {certificate}",
            f"key = {key}",
            f"CAfile = {self.certificates.ca}",
            "verifyChain = yes",
            "requireCert = yes",
            f"checkHost = {self.leaf_name(peer)}.bench",
            "sslVersionMin = TLSv1.3",
            "sslVersionMax = TLSv1.3",
            f"ciphersuites = {CIPHERSUITES}",
            f"curves = {GROUPS}",
            "options = CIPHER_SERVER_PREFERENCE",  # as ztls and haproxy: the list's order wins
        ]
        for service, port in self.ports.items():
            if node == CLIENT_NODE:
                lines += [f"[{service}]", "client = yes",
                          f"accept = {node_address(CLIENT_NODE)}:{port}",
                          f"connect = {node_address(SERVER_NODE)}:{port}"]
            else:
                lines += [f"[{service}]", f"accept = {node_address(SERVER_NODE)}:{port}",
                          f"connect = {self.backend}:{SERVICES[service][1]}"]
        config = self.directory / f"{node}.conf"
        config.write_text("\n".join(lines) + "\n")
        return config
