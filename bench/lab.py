"""The 2-node ztls lab the benchmark runs on, driven through the ztls-lab binary.

Layout (agent/lab/): network namespaces <cluster>.underlay, <cluster>.<node> and
<cluster>.pod.<ns>.<pod>; node N has underlay address 10.99.0.N and pod CIDR
10.244.N.0/24, and pods route everything via their node (gateway 10.244.N.1), so a pod
on node2 reaches node2's own 10.99.0.2 and, through the underlay, node1's 10.99.0.1.
"""

import json
import subprocess
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PODS_DIR = BENCH_DIR / "pods"
PYTHON = "/usr/bin/python3"  # the system python: what the lab's pods run

# Service name -> (service port, container port) of the server pod; the client dials the
# service port, a proxy's server side forwards to the container port.
SERVICES = {
    "iperf": (5201, 5201),
    "http": (8000, 80),
    "greet": (7000, 7000),
    "sink": (7001, 7001),
}


def node_address(node):
    return "10.99.0." + node.removeprefix("node")


def workloads_yaml():
    """A server pod on node1 (iperf3, httpbin, greeter, sink) and a client pod on node2."""
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: server
spec:
  selector:
    matchLabels: {{app: server}}
  template:
    metadata:
      labels: {{app: server}}
    spec:
      nodeName: node1
      containers:
      - name: iperf
        image: iperf3
        command: ["/usr/bin/iperf3", "--server", "--port", "5201"]
        ports:
        - containerPort: 5201
      - name: httpbin
        image: kennethreitz/httpbin
        ports:
        - containerPort: 80
      - name: greeter
        image: python
        command: ["{PYTHON}", "{PODS_DIR / 'greeter.py'}"]
        ports:
        - containerPort: 7000
      - name: sink
        image: python
        command: ["{PYTHON}", "{PODS_DIR / 'sink.py'}"]
        ports:
        - containerPort: 7001
---
apiVersion: v1
kind: Service
metadata:
  name: server
spec:
  selector: {{app: server}}
  ports:
  - {{name: iperf, port: 5201}}
  - {{name: http, port: 8000, targetPort: 80}}
  - {{name: greet, port: 7000}}
  - {{name: sink, port: 7001}}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: client
spec:
  selector:
    matchLabels: {{app: client}}
  template:
    metadata:
      labels: {{app: client}}
    spec:
      nodeName: node2
      containers:
      - name: client
        image: curlimages/curl
        command: ["/bin/sleep", "infinity"]
"""


class Lab:
    def __init__(self, binary, cluster):
        self.binary = str(binary)
        self.cluster = cluster
        self.state_dir = Path("/run/ztls-lab") / cluster

    def run(self, *args, stdin=None):
        return subprocess.run([self.binary, "--cluster", self.cluster, *args], input=stdin,
                              capture_output=True, text=True, check=True).stdout

    def up(self, nodes=2):
        self.down()
        self.run("up", "--nodes", str(nodes))

    def down(self):
        subprocess.run([self.binary, "--cluster", self.cluster, "down"],
                       capture_output=True, check=False)

    def deploy(self, namespace, captured):
        self.run("create", "ns", namespace)
        if captured:
            self.run("label", "ns", namespace, "istio.io/dataplane-mode=ambient")
        self.run("apply", "-n", namespace, "-f", "-", stdin=workloads_yaml())

    def exec_argv(self, namespace, *command):
        """argv that runs `command` in the namespace's client pod (on node2)."""
        return [self.binary, "--cluster", self.cluster, "exec", "-n", namespace,
                "deploy/client", "--", *command]

    def client(self, namespace, *command):
        return subprocess.run(self.exec_argv(namespace, *command), capture_output=True,
                              text=True, check=True).stdout

    def state(self):
        return json.loads((self.state_dir / "lab.json").read_text())

    def use_kernel_tls(self, setting):
        """Restarts the agents with --kernel-tls `setting` ("auto" or "off") unless they
        already run with it. Connections of earlier measures are gone by then."""
        if all(node.get("kernelTls", "auto") == setting for node in self.state()["nodes"]):
            return
        self.run("agent", "restart", "--kernel-tls", setting)

    def agent_pids(self):
        return [node["agentPid"] for node in self.state()["nodes"]]

    def pod_ip(self, namespace, owner):
        for pod in self.state()["pods"]:
            if pod["namespace"] == namespace and pod["owner"] == owner and pod["ip"]:
                return pod["ip"]
        raise RuntimeError(f"no running {owner} pod in namespace {namespace}")

    def node_netns(self, node):
        return f"{self.cluster}.{node}"

    def mesh_ca(self):
        """(certificate, key) of the mesh root the agents share."""
        ca_dir = self.state_dir / "mesh-ca"
        return ca_dir / "root-cert.pem", ca_dir / "root-key.pem"
