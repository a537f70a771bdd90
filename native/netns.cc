#include "netns.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

namespace routemark {

NetnsOutcome RunInNetns(const std::string& netns_path,
                        const std::function<void(NetnsOutcome&)>& work) {
  NetnsOutcome outcome;
  std::thread thread([&]() {
    if (!netns_path.empty()) {
      int ns_fd = open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
      if (ns_fd < 0) {
        outcome.error = errno;
        outcome.syscall = "open";
        outcome.entering = true;
        return;
      }
      int rc = setns(ns_fd, CLONE_NEWNET);
      int setns_errno = errno;
      close(ns_fd);
      if (rc < 0) {
        outcome.error = setns_errno;
        outcome.syscall = "setns";
        outcome.entering = true;
        return;
      }
    }
    work(outcome);
  });
  // The thread does a handful of system calls; joining keeps the API synchronous and simple.
  thread.join();
  return outcome;
}

}  // namespace routemark
