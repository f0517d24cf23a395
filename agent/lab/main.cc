// ztls-lab: a multi-node Kubernetes-like cluster made of network namespaces, with
// kubectl's verbs, so that Istio walkthroughs run with `kubectl` replaced by `ztls-lab`.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "lab/commands.h"
#include "lab/system.h"

namespace {

std::filesystem::path binaryDirectory() {
  if (const char* override = std::getenv("ZTLS_BIN_DIR")) return override;
  return std::filesystem::read_symlink("/proc/self/exe").parent_path();
}

}  // namespace

int main(int argc, char** argv) {
  // Everything after `--` belongs to the command `exec` runs, untouched by the parser.
  std::vector<std::string> execCommand;
  int parsedArgc = argc;
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--") {
      execCommand.assign(argv + i + 1, argv + argc);
      parsedArgc = i;
      break;
    }
  }

  CLI::App app{"ztls-lab: a Kubernetes-like lab cluster of network namespaces for ztls"};
  app.require_subcommand(1);
  app.fallthrough();
  std::string cluster = "ztls-lab";
  app.add_option("--cluster", cluster, "Lab cluster name")
      ->envname("ZTLS_LAB_CLUSTER")
      ->capture_default_str();

  int nodes = 2;
  auto* up = app.add_subcommand("up", "Create the cluster (idempotent; removes leftovers)");
  up->add_option("--nodes", nodes, "Number of nodes")->capture_default_str();
  auto* down = app.add_subcommand("down", "Remove the cluster and everything it created");

  std::string createKind;
  std::vector<std::string> createNames;
  auto* create = app.add_subcommand("create", "Create a namespace: create ns NAME");
  create->add_option("kind", createKind, "ns or namespace")->required();
  create->add_option("names", createNames, "Namespace names")->required();

  std::string file;
  std::optional<std::string> ns;
  auto* apply = app.add_subcommand("apply", "Apply objects from a file or stdin");
  apply->add_option("-f,--filename", file, "File, or - for stdin")->required();
  apply->add_option("-n,--namespace", ns, "Namespace for objects that name none");

  std::vector<std::string> resourceAndNames;
  bool allNamespaces = false;
  bool all = false;
  bool ignoreNotFound = false;
  auto* remove = app.add_subcommand("delete", "Delete objects: -f FILE, or KIND NAME...");
  remove->add_option("-f,--filename", file, "File, or - for stdin");
  remove->add_option("-n,--namespace", ns, "Namespace");
  remove->add_flag("-A,--all-namespaces", allNamespaces, "Every namespace");
  remove->add_flag("--all", all, "Every object of the kind");
  remove->add_flag("--ignore-not-found", ignoreNotFound, "Missing objects are not an error");
  remove->add_option("args", resourceAndNames, "KIND NAME...");

  std::string labelNamespace = "default";
  bool overwrite = false;
  auto* label = app.add_subcommand("label", "Label an object: label KIND NAME k=v [k-]");
  label->add_option("-n,--namespace", labelNamespace, "Namespace");
  label->add_flag("--overwrite", overwrite, "Replace existing values");
  label->add_option("args", resourceAndNames, "KIND NAME k=v... (k- removes k)")->required();

  ztls::lab::GetQuery query;
  std::string selector;
  std::string output;
  auto* get = app.add_subcommand("get", "List objects like kubectl get");
  get->add_option("-n,--namespace", ns, "Namespace");
  get->add_flag("-A,--all-namespaces", allNamespaces, "Every namespace");
  get->add_option("-l,--selector", selector, "Label selector, e.g. app=sleep");
  get->add_option("-o,--output", output, "wide, yaml, json, name or jsonpath=TEMPLATE");
  get->add_option("args", resourceAndNames, "KIND [NAME...]")->required();

  std::string container;
  std::string execNamespace = "default";
  std::vector<std::string> execTarget;
  bool interactive = false;
  bool tty = false;
  auto* exec = app.add_subcommand("exec", "Run a command in a pod: exec [-n NS] POD -- CMD...");
  exec->add_option("-n,--namespace", execNamespace, "Namespace");
  exec->add_option("-c,--container", container, "Container name");
  exec->add_option("-l,--selector", selector, "Run in the first pod matching this selector");
  exec->add_flag("-i,--stdin", interactive,
                 "Accepted for kubectl compatibility (stdin is always passed)");
  exec->add_flag("-t,--tty", tty, "Accepted for kubectl compatibility");
  exec->add_option("target", execTarget, "POD, pod/NAME or deploy/NAME");

  std::vector<std::string> agentArgs;
  auto* agent =
      app.add_subcommand("agent", "Control node agents: agent start|stop|restart [NODE...]");
  agent->add_option("args", agentArgs, "start|stop|restart [NODE...]")->required();
  std::string agentKernelTls;
  agent
      ->add_option("--kernel-tls", agentKernelTls,
                   "auto or off: the started agents' --kernel-tls, kept for later restarts")
      ->check(CLI::IsMember({"auto", "off"}));

  try {
    app.parse(parsedArgc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  }

  ztls::lab::LabContext context;
  try {
    context.paths.cluster = cluster;
    context.paths.cgroup2 = ztls::lab::cgroup2Mount();
    context.tools.binDir = binaryDirectory();
    const std::optional<std::string> scope =
        allNamespaces ? std::nullopt : std::optional(ns.value_or("default"));

    if (up->parsed()) return ztls::lab::commandUp(context, nodes);
    if (down->parsed()) return ztls::lab::commandDown(context);
    if (create->parsed()) {
      if (createKind != "ns" && createKind != "namespace") {
        std::cerr << "error: the lab creates namespaces only (create ns NAME)\n";
        return 1;
      }
      return ztls::lab::commandCreateNamespace(context, createNames);
    }
    if (apply->parsed()) return ztls::lab::commandApply(context, file, ns);
    if (remove->parsed()) {
      if (!file.empty()) return ztls::lab::commandDeleteFile(context, file, ns, ignoreNotFound);
      if (resourceAndNames.empty()) {
        std::cerr << "error: You must provide one or more resources by argument or filename.\n";
        return 1;
      }
      std::vector<std::string> names(resourceAndNames.begin() + 1, resourceAndNames.end());
      return ztls::lab::commandDelete(context, resourceAndNames[0], names, scope, all,
                                      ignoreNotFound);
    }
    if (label->parsed()) {
      if (resourceAndNames.size() < 3) {
        std::cerr << "error: label needs KIND NAME and at least one k=v or k-\n";
        return 1;
      }
      std::vector<std::string> changes(resourceAndNames.begin() + 2, resourceAndNames.end());
      return ztls::lab::commandLabel(context, resourceAndNames[0], resourceAndNames[1], changes,
                                     labelNamespace, overwrite);
    }
    if (get->parsed()) {
      query.names.assign(resourceAndNames.begin() + 1, resourceAndNames.end());
      query.namespace_ = scope;
      query.labelSelector = selector;
      query.output = output;
      return ztls::lab::commandGet(context, resourceAndNames[0], query);
    }
    if (exec->parsed()) {
      if (execTarget.size() > 1) {
        std::cerr << "error: put the command after --: exec POD -- CMD...\n";
        return 1;
      }
      return ztls::lab::commandExec(context, execNamespace,
                                    execTarget.empty() ? "" : execTarget.front(), selector,
                                    container, execCommand);
    }
    if (agent->parsed()) {
      const std::string verb = agentArgs.front();
      if (verb != "start" && verb != "stop" && verb != "restart") {
        std::cerr << "error: agent takes start, stop or restart\n";
        return 1;
      }
      return ztls::lab::commandAgent(
          context, verb, agentKernelTls,
          std::vector<std::string>(agentArgs.begin() + 1, agentArgs.end()));
    }
  } catch (const std::exception& error) {
    std::string message = error.what();
    if (message.rfind("error", 0) != 0 && message.rfind("Error", 0) != 0)
      message = "error: " + message;
    std::cerr << message << (message.back() == '\n' ? "" : "\n");
    return 1;
  }
  return 2;
}
