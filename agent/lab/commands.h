// The kubectl-like verbs of ztls-lab. Each returns the process exit code.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lab/cluster.h"
#include "lab/get_output.h"
#include "lab/paths.h"

namespace ztls::lab {

struct LabContext {
  LabPaths paths;
  Toolbox tools;
};

int commandUp(const LabContext& context, int nodes);
int commandDown(const LabContext& context);
int commandCreateNamespace(const LabContext& context, const std::vector<std::string>& names);
int commandApply(const LabContext& context, const std::string& file,
                 const std::optional<std::string>& ns);
int commandDeleteFile(const LabContext& context, const std::string& file,
                      const std::optional<std::string>& ns, bool ignoreNotFound);
int commandDelete(const LabContext& context, const std::string& resource,
                  const std::vector<std::string>& names, const std::optional<std::string>& ns,
                  bool all, bool ignoreNotFound);
int commandLabel(const LabContext& context, const std::string& resource, const std::string& name,
                 const std::vector<std::string>& changes, const std::string& ns, bool overwrite);
int commandGet(const LabContext& context, const std::string& resource, GetQuery query);
// target: POD or deploy/NAME; empty target with a label selector picks the first match.
int commandExec(const LabContext& context, const std::string& ns, const std::string& target,
                const std::string& selector, const std::string& container,
                const std::vector<std::string>& command);
// verb: start, stop or restart; no nodes = every node.
// kernelTls: when set, the agents started from now on get --kernel-tls with it.
int commandAgent(const LabContext& context, const std::string& verb, const std::string& kernelTls,
                 const std::vector<std::string>& nodes);

}  // namespace ztls::lab
