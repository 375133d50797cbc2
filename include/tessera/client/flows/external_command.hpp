// tessera — client/flows/external_command.hpp: `authType: ExternalCommand` — a program prints
// the token (a cloud CLI, a vault helper, `tessera-client token` itself).
//
// The command runs without a shell (`command[0]` looked up on PATH, the rest as arguments),
// stdin from /dev/null, stderr passed through so its messages reach the person, no other
// descriptor of this process inherited, and `TESSERA_TOKEN_COMMAND=1` in its environment. Its stdout,
// trimmed of surrounding whitespace, is the access token: it must be one line of printable
// ASCII of at most 16 KiB. `external_command_failed` when it cannot be started, exits other
// than 0, prints nothing usable or runs longer than `command_timeout` (it is then killed).
// The token's expiry is read from its `exp` when it is a JWT; otherwise it is unknown.
// Nothing of the output is logged.
#ifndef TESSERA_CLIENT_FLOWS_EXTERNAL_COMMAND_HPP
#define TESSERA_CLIENT_FLOWS_EXTERNAL_COMMAND_HPP

#include <tessera/client/flows/context.hpp>

#include <cerrno>
#include <chrono>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace tessera::client::flow {

struct external_command {
  static constexpr auth_type type = auth_type::external_command;
  static constexpr bool needs_server = false;
  /// Set to 1 in the command's environment.
  static constexpr std::string_view nested_variable = "TESSERA_TOKEN_COMMAND";

  static token_set run(const flow_context& ctx, std::error_code& ec) {
    const auto& cmd = ctx.settings.command;
    if (cmd.empty() || cmd.front().empty()) {
      ec = error::client_config_invalid;
      ctx.log("ExternalCommand needs a command");
      return {};
    }
    ctx.log("running the token command " + cmd.front());
    std::string out;
    int status = -1;
    if (!execute(cmd, ctx.settings.command_timeout, out, status)) {
      ec = error::external_command_failed;
      ctx.log("the token command could not run, printed too much or timed out");
      return {};
    }
    if (status != 0) {
      ec = error::external_command_failed;
      ctx.log("the token command exited with status " + std::to_string(status));
      return {};
    }
    const auto first = out.find_first_not_of(" \t\r\n");
    const auto last = out.find_last_not_of(" \t\r\n");
    std::string token = first == std::string::npos ? std::string{} : out.substr(first, last - first + 1);
    bool ok = !token.empty() && token.size() <= max_token_size;
    for (char c : token) ok = ok && c > 0x20 && c < 0x7f;
    if (!ok) {
      ec = error::external_command_failed;
      ctx.log("the token command printed no single-line token");
      return {};
    }
    token_set t;
    t.access_token = std::move(token);
    t.obtained_at = ctx.now();
    if (auto exp = detail::unverified_exp(t.access_token); exp > 0) t.expires_at = from_unix_seconds(exp);
    return t;
  }

 private:
  static bool execute(const std::vector<std::string>& cmd, std::chrono::milliseconds timeout, std::string& out,
                      int& status) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return false;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    std::vector<char*> argv;
    for (const auto& a : cmd) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    // The environment, plus the marker a token command can check to refuse to call back into
    // a flow that would run it again (tessera-client does: no fork bomb through a config that
    // names tessera-client as its own command).
    std::vector<std::string> env_store;
    for (char** e = environ; e && *e; ++e)
      if (!std::string_view(*e).starts_with(std::string(nested_variable) + "=")) env_store.emplace_back(*e);
    env_store.push_back(std::string(nested_variable) + "=1");
    std::vector<char*> envp;
    for (auto& e : env_store) envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_t pid = 0;
    const int r = ::posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    ::close(fds[1]);
    if (r != 0) {
      ::close(fds[0]);
      return false;
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool ok = true;
    char buf[4096];
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        ok = false;
        break;
      }
      pollfd p{fds[0], POLLIN, 0};
      const int pr = ::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left.count(), 1000)));
      if (pr < 0 && errno != EINTR) {
        ok = false;
        break;
      }
      if (pr <= 0) continue;
      const auto n = ::read(fds[0], buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      if (out.size() + static_cast<std::size_t>(n) > max_token_size + 1024) {
        ok = false;
        break;
      }
      out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fds[0]);
    // A command that closed its stdout may still run: wait for it until the deadline only.
    int ws = 0;
    for (;;) {
      if (!ok) {
        ::kill(pid, SIGKILL);
        while (::waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
        }
        break;
      }
      const pid_t w = ::waitpid(pid, &ws, WNOHANG);
      if (w == pid) break;
      if (w < 0 && errno != EINTR) break;
      if (std::chrono::steady_clock::now() >= deadline) ok = false;
      else std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + (WIFSIGNALED(ws) ? WTERMSIG(ws) : 0);
    return ok;
  }
};

static_assert(token_flow<external_command>);

}  // namespace tessera::client::flow

#endif
