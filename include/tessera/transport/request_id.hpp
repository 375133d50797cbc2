// tessera — transport/request_id.hpp: one id per request, to find a request's lines in the logs
// of a proxy, this server and the client.
//
// The server (transport/server.hpp) takes the id from the request's `X-Request-Id` when the
// client or a proxy in front sent one that is a short safe token — 1 to 64 characters of
// `A-Z a-z 0-9 - _ . : + / =` (UUIDs, hex, base64, `Root=1-...` trace ids) — and otherwise makes
// one; it puts it in `request_context::request_id`, the access-log entry, and the response's
// `X-Request-Id`. Anything else in the header (longer, spaces, quotes, control bytes, non-ASCII)
// is ignored, not cleaned: a log line never carries a client's bytes that could forge a field
// or a line, and an id a log field holds is always safe inside JSON and the text log.
//
// A made id is 32 lowercase hex digits: SipHash-2-4-128 (crypto/siphash.hpp) of a per-process
// counter under a per-process random key. Unique within the process (a PRF of distinct inputs
// collides with probability 2^-128 per pair) and across replicas in practice (different keys),
// unpredictable, and it tells nobody how many requests the server has served.
#ifndef TESSERA_TRANSPORT_REQUEST_ID_HPP
#define TESSERA_TRANSPORT_REQUEST_ID_HPP

#include <tessera/crypto/siphash.hpp>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

namespace tessera::transport {

/// The header the id travels in, both ways.
inline constexpr std::string_view request_id_header = "X-Request-Id";

/// Longest id accepted from a request.
inline constexpr std::size_t max_request_id_size = 64;

/// Whether `id` may be used as a request id as it is (see the header comment).
constexpr bool is_safe_request_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > max_request_id_size) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.' || c == ':' || c == '+' || c == '/' || c == '=';
    if (!ok) return false;
  }
  return true;
}

/// Makes request ids (see the header comment). Thread-safe.
class request_id_generator {
 public:
  /// A fresh random key (throws `tessera::system_error` when the RNG fails).
  request_id_generator() : key_(crypto::siphash_key::random()) {}
  explicit request_id_generator(crypto::siphash_key key) noexcept : key_(key) {}

  /// Writes a new id into `out` (replacing what it held; no allocation once `out` has room).
  void next(std::string& out) {
    const std::uint64_t n = counter_.fetch_add(1, std::memory_order_relaxed);
    unsigned char in[8];
    for (int i = 0; i < 8; ++i) in[i] = static_cast<unsigned char>(n >> (8 * i));
    const auto h = crypto::siphash_2_4_128(key_, std::span<const unsigned char>(in, sizeof in));
    static constexpr char hex[] = "0123456789abcdef";
    out.resize(32);
    std::uint64_t halves[2] = {h.lo, h.hi};
    for (int half = 0; half < 2; ++half)
      for (int i = 0; i < 16; ++i) out[half * 16 + i] = hex[(halves[half] >> (60 - 4 * i)) & 0xf];
  }

  std::string next() {
    std::string s;
    next(s);
    return s;
  }

 private:
  crypto::siphash_key key_;
  std::atomic<std::uint64_t> counter_{0};
};

/// The id for a request that sent `header` (empty when it sent none): the header's value when
/// it is safe, else a new one from `gen`. Written into `out`.
inline void assign_request_id(std::string& out, std::string_view header, request_id_generator& gen) {
  if (is_safe_request_id(header))
    out.assign(header);
  else
    gen.next(out);
}

}  // namespace tessera::transport

#endif
