// Running a small piece of work inside another network namespace.
//
// setns(CLONE_NEWNET) changes the namespace of the calling thread only. Doing it on the main
// thread or on a libuv worker would leak the namespace into unrelated work, so each call gets a
// short-lived thread of its own that enters the namespace, does one thing (typically creating a
// file descriptor, which keeps its namespace for life) and exits.
#pragma once
#include <functional>
#include <string>

namespace routemark {

struct NetnsOutcome {
  int value = -1;             // what the work returned (usually a file descriptor)
  int error = 0;              // errno of the failing call, 0 on success
  const char* syscall = "";   // name of the failing call
  bool entering = false;      // the failure happened while entering the namespace
};

// Work receives the outcome to fill in; it runs in the namespace at netns_path, or in the
// caller's namespace when netns_path is empty (still on its own thread, for uniform behaviour).
NetnsOutcome RunInNetns(const std::string& netns_path,
                        const std::function<void(NetnsOutcome&)>& work);

}  // namespace routemark
