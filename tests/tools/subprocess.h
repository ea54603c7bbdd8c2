// Test vocabulary for running a program of ours as a child process: the ledgerctl tests run the
// real binary to completion, the crash test streams a writer's output and kills it mid-flight.
// Not synchronised: one thread at a time per object.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

extern char** environ;

namespace testing_tools {

// ledgerctl's exit codes (tools/cli.h), spelled out: scripts depend on the numbers.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitIoError = 3;
inline constexpr int kExitForked = 4;

// A started child process. Its stdin is /dev/null; its stdout, and its stderr unless it is
// inherited, are pipes the parent reads. The destructor kills and reaps a child still running,
// so a failed assertion never leaves one behind.
class Subprocess {
 public:
  struct Options {
    bool capture_stderr = true;  // false: the child writes to the test's own stderr.
  };

  explicit Subprocess(const std::vector<std::string>& argv) : Subprocess(argv, Options{}) {}
  Subprocess(const std::vector<std::string>& argv, Options options) {
    int out[2] = {-1, -1};
    int err[2] = {-1, -1};
    if (::pipe2(out, O_CLOEXEC) != 0 || (options.capture_stderr && ::pipe2(err, O_CLOEXEC) != 0)) {
      ADD_FAILURE() << "pipe2: " << std::strerror(errno);
      return;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    if (options.capture_stderr) posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    int rc = ::posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    if (options.capture_stderr) ::close(err[1]);
    stdout_fd_ = out[0];
    stderr_fd_ = err[0];
    if (rc != 0) {
      ADD_FAILURE() << "posix_spawn " << argv[0] << ": " << std::strerror(rc);
      pid_ = -1;
    }
  }
  ~Subprocess() {
    if (pid_ > 0) Kill();
    if (stdout_fd_ >= 0) ::close(stdout_fd_);
    if (stderr_fd_ >= 0) ::close(stderr_fd_);
  }
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  bool started() const { return pid_ > 0; }

  // Appends whatever the child writes to stdout (and stderr, if captured) to `out` and `err`
  // until at least one byte arrived, both pipes reached end of file, or `timeout` passed.
  // Returns false once both pipes are at end of file, or on timeout (setting *timed_out).
  bool ReadSome(std::string* out, std::string* err, std::chrono::milliseconds timeout,
                bool* timed_out) {
    *timed_out = false;
    pollfd fds[2];
    nfds_t count = 0;
    for (int fd : {stdout_fd_, stderr_fd_}) {
      if (fd >= 0) fds[count++] = pollfd{fd, POLLIN, 0};
    }
    if (count == 0) return false;
    int ready = ::poll(fds, count, static_cast<int>(timeout.count()));
    if (ready < 0 && errno == EINTR) return true;
    if (ready == 0) {
      *timed_out = true;
      return false;
    }
    for (nfds_t i = 0; i < count; ++i) {
      if (fds[i].revents == 0) continue;
      char buffer[4096];
      ssize_t got = ::read(fds[i].fd, buffer, sizeof buffer);
      if (got < 0 && errno == EINTR) continue;
      std::string* sink = fds[i].fd == stdout_fd_ ? out : err;
      if (got > 0) {
        sink->append(buffer, static_cast<std::size_t>(got));
        continue;
      }
      // End of file (or a read error, which the test treats the same way).
      int& fd = fds[i].fd == stdout_fd_ ? stdout_fd_ : stderr_fd_;
      ::close(fd);
      fd = -1;
    }
    return stdout_fd_ >= 0 || stderr_fd_ >= 0;
  }

  // Sends `signal` to the child without waiting for it.
  void Signal(int signal) {
    if (pid_ > 0) ::kill(pid_, signal);
  }

  // Sends SIGKILL and reaps the child; returns its wait status.
  int Kill() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGKILL);
    return Wait();
  }

  // Reaps the child; returns its wait status.
  int Wait() {
    if (pid_ <= 0) return -1;
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
};

// What a program run to completion did.
struct Finished {
  int exit_code = -1;  // -1 if it did not exit normally (killed by a signal, or timed out).
  std::string out;
  std::string err;
};

// Runs `argv` (argv[0] is a path) to completion and captures its output. A child still running
// after `timeout` is killed and the test fails.
inline Finished RunToCompletion(const std::vector<std::string>& argv,
                                std::chrono::milliseconds timeout = std::chrono::seconds(120)) {
  Finished finished;
  Subprocess child(argv);
  if (!child.started()) return finished;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool expired = false;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      expired = true;
      break;
    }
    if (!child.ReadSome(&finished.out, &finished.err, left, &expired)) break;
  }
  if (expired) {
    ADD_FAILURE() << argv[0] << " still running after " << timeout.count() << " ms; killed";
    child.Kill();
    return finished;
  }
  int status = child.Wait();
  if (WIFEXITED(status)) {
    finished.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    finished.err += "\n[killed by signal " + std::to_string(WTERMSIG(status)) + "]";
  }
  return finished;
}

}  // namespace testing_tools
