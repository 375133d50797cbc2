// tessera — client/console.hpp: an `interaction` for a terminal program.
//
//  * PKCE: prints the authorization URL (always: containers and SSH sessions have no browser),
//    and opens it with `xdg-open` when there is a display (`DISPLAY` or `WAYLAND_DISPLAY`) and
//    `open_browser` is on. The URL carries no secret (PKCE's verifier never leaves this
//    process), so printing it is safe.
//  * Device flow: prints `verification_uri_complete` (or `verification_uri` and the user code),
//    on a terminal also as a QR code a phone can scan, and, while waiting, one progress line
//    rewritten in place when the stream is a terminal.
//  * `log` lines go to the stream only when `verbose` is on.
#ifndef TESSERA_CLIENT_CONSOLE_HPP
#define TESSERA_CLIENT_CONSOLE_HPP

#include <tessera/client/qr.hpp>
#include <tessera/client/settings.hpp>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace tessera::client {

struct console_options {
  bool open_browser = true;
  bool verbose = false;
  /// Device flow: also draw the address as a QR code (client/qr.hpp) when the stream is a terminal.
  bool qr_code = true;
};

namespace detail {
/// Starts `xdg-open url` (its output discarded, no descriptor of this process but 0-2 passed
/// on); false when there is no display or it cannot start. Not waited for: where xdg-open runs
/// the browser itself, it returns only when the browser does — the login must not wait for
/// that. A detached thread reaps it.
inline bool open_in_browser(const std::string& url) {
  const char* display = std::getenv("DISPLAY");
  const char* wayland = std::getenv("WAYLAND_DISPLAY");
  if ((!display || !*display) && (!wayland || !*wayland)) return false;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  char prog[] = "xdg-open";
  std::string arg = url;
  char* argv[] = {prog, arg.data(), nullptr};
  pid_t pid = 0;
  const int r = ::posix_spawnp(&pid, prog, &fa, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (r != 0) return false;
  std::thread([pid] {
    int status = 0;
    ::waitpid(pid, &status, 0);
  }).detach();
  return true;
}
}  // namespace detail

/// Writes to `out` (std::cerr by default; it must outlive the interaction).
inline interaction console_interaction(console_options opt = {}, std::ostream& out = std::cerr) {
  interaction ui;
  const bool tty = &out == &std::cerr ? ::isatty(2) != 0 : false;
  ui.authorization_url = [&out, opt](const std::string& url) {
    out << "Sign in through your browser. If it does not open, visit:\n\n  " << url << "\n\n" << std::flush;
    if (opt.open_browser && !detail::open_in_browser(url))
      out << "(no browser could be opened here; open the address above on any machine that can reach this one's\n"
             " redirect port, e.g. through ssh -L)\n"
          << std::flush;
  };
  ui.device_code = [&out, tty, opt](const device_prompt& p) {
    if (tty && opt.qr_code) {
      std::error_code ec;
      const auto& target = p.verification_uri_complete.empty() ? p.verification_uri : p.verification_uri_complete;
      if (auto code = qr::encode(target, ec); !ec) out << "\n" << qr::render_half_blocks(code) << "\n";
    }
    if (!p.verification_uri_complete.empty())
      out << "To sign in, visit:\n\n  " << p.verification_uri_complete << "\n\nand check that it shows the code "
          << p.user_code << ".\n";
    else
      out << "To sign in, visit " << p.verification_uri << " and enter the code:\n\n  " << p.user_code << "\n\n";
    out << "The code expires in " << p.expires_in.count() / 60 << " min " << p.expires_in.count() % 60 << " s.\n"
        << std::flush;
  };
  ui.waiting = [&out, tty](std::chrono::seconds left) {
    if (tty) out << "\rwaiting for approval... " << left.count() << " s left   " << std::flush;
  };
  if (opt.verbose) ui.log = [&out](std::string_view s) { out << "tessera: " << s << "\n" << std::flush; };
  return ui;
}

}  // namespace tessera::client

#endif
