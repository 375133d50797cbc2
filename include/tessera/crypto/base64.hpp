// tessera — crypto/base64.hpp
//
// Strict base64 and base64url (RFC 4648 §4, §5).
//
// * base64url, as JOSE uses it (RFC 7515 §2): no padding. Decoding rejects '=' anywhere, any
//   character outside the URL-safe alphabet (including whitespace), a length that leaves one
//   lone character (n % 4 == 1), and non-zero trailing bits — so each byte string has exactly
//   one accepted encoding, and a token cannot be altered without changing its signature input.
// * base64, as HTTP Basic credentials and Flyte's stored client-secret hashes use it: padding
//   required, same strictness otherwise.
//
// Decoders append to an output string and return an error_code; `decoded_size` tells the
// exact output size first, so callers can decode into a stack buffer.
#ifndef TESSERA_CRYPTO_BASE64_HPP
#define TESSERA_CRYPTO_BASE64_HPP

#include <tessera/error.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace tessera::crypto {

namespace detail {

inline constexpr char base64url_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
inline constexpr char base64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

inline constexpr std::uint8_t invalid = 0xff;

constexpr std::array<std::uint8_t, 256> make_decode_table(const char* alphabet) {
  std::array<std::uint8_t, 256> t{};
  for (auto& v : t) v = invalid;
  for (std::uint8_t i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = i;
  return t;
}
inline constexpr auto base64url_table = make_decode_table(base64url_alphabet);
inline constexpr auto base64_table = make_decode_table(base64_alphabet);

inline void encode_into(std::string& out, std::span<const unsigned char> in, const char* alphabet, bool pad) {
  const std::size_t full = in.size() / 3, rest = in.size() % 3;
  const std::size_t start = out.size();
  out.resize(start + full * 4 + (rest == 0 ? 0 : (pad ? 4 : rest + 1)));
  char* o = out.data() + start;
  const unsigned char* p = in.data();
  for (std::size_t i = 0; i < full; ++i, p += 3) {
    std::uint32_t v = (std::uint32_t(p[0]) << 16) | (std::uint32_t(p[1]) << 8) | p[2];
    *o++ = alphabet[(v >> 18) & 63];
    *o++ = alphabet[(v >> 12) & 63];
    *o++ = alphabet[(v >> 6) & 63];
    *o++ = alphabet[v & 63];
  }
  if (rest == 1) {
    std::uint32_t v = std::uint32_t(p[0]) << 16;
    *o++ = alphabet[(v >> 18) & 63];
    *o++ = alphabet[(v >> 12) & 63];
    if (pad) *o++ = '=', *o++ = '=';
  } else if (rest == 2) {
    std::uint32_t v = (std::uint32_t(p[0]) << 16) | (std::uint32_t(p[1]) << 8);
    *o++ = alphabet[(v >> 18) & 63];
    *o++ = alphabet[(v >> 12) & 63];
    *o++ = alphabet[(v >> 6) & 63];
    if (pad) *o++ = '=';
  }
}

// Decodes unpadded text (padding already stripped and checked) into `out` (size known).
inline std::error_code decode_unpadded(std::string_view in, unsigned char* out, const std::array<std::uint8_t, 256>& table) {
  if (in.size() % 4 == 1) return error::base64_invalid_length;
  const std::size_t full = in.size() / 4, rest = in.size() % 4;
  const unsigned char* p = reinterpret_cast<const unsigned char*>(in.data());
  for (std::size_t i = 0; i < full; ++i, p += 4) {
    std::uint8_t a = table[p[0]], b = table[p[1]], c = table[p[2]], d = table[p[3]];
    if ((a | b | c | d) & 0x80) return error::base64_invalid_character;
    std::uint32_t v = (std::uint32_t(a) << 18) | (std::uint32_t(b) << 12) | (std::uint32_t(c) << 6) | d;
    *out++ = static_cast<unsigned char>(v >> 16);
    *out++ = static_cast<unsigned char>(v >> 8);
    *out++ = static_cast<unsigned char>(v);
  }
  if (rest == 2) {
    std::uint8_t a = table[p[0]], b = table[p[1]];
    if ((a | b) & 0x80) return error::base64_invalid_character;
    if (b & 0x0f) return error::base64_non_canonical;
    *out++ = static_cast<unsigned char>((a << 2) | (b >> 4));
  } else if (rest == 3) {
    std::uint8_t a = table[p[0]], b = table[p[1]], c = table[p[2]];
    if ((a | b | c) & 0x80) return error::base64_invalid_character;
    if (c & 0x03) return error::base64_non_canonical;
    std::uint32_t v = (std::uint32_t(a) << 18) | (std::uint32_t(b) << 12) | (std::uint32_t(c) << 6);
    *out++ = static_cast<unsigned char>(v >> 16);
    *out++ = static_cast<unsigned char>(v >> 8);
  }
  return {};
}

}  // namespace detail

/// Length of the unpadded base64url encoding of `n` bytes.
constexpr std::size_t base64url_encoded_size(std::size_t n) noexcept { return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1); }

/// Exact decoded length of unpadded text of `n` characters (meaningless when n % 4 == 1).
constexpr std::size_t base64url_decoded_size(std::size_t n) noexcept { return n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1); }

inline void base64url_encode(std::string& out, std::span<const unsigned char> in) {
  detail::encode_into(out, in, detail::base64url_alphabet, false);
}
inline void base64url_encode(std::string& out, std::string_view in) {
  base64url_encode(out, std::span(reinterpret_cast<const unsigned char*>(in.data()), in.size()));
}
inline std::string base64url_encode(std::span<const unsigned char> in) {
  std::string s;
  base64url_encode(s, in);
  return s;
}
inline std::string base64url_encode(std::string_view in) {
  std::string s;
  base64url_encode(s, in);
  return s;
}

/// Decodes unpadded base64url into `out` (appending). On error `out` is unchanged.
inline void base64url_decode(std::string& out, std::string_view in, std::error_code& ec) {
  if (in.find('=') != std::string_view::npos) {
    ec = error::base64_padding;
    return;
  }
  const std::size_t start = out.size();
  out.resize(start + base64url_decoded_size(in.size()));
  ec = detail::decode_unpadded(in, reinterpret_cast<unsigned char*>(out.data() + start), detail::base64url_table);
  if (ec) out.resize(start);
}
inline std::string base64url_decode(std::string_view in, std::error_code& ec) {
  std::string s;
  base64url_decode(s, in, ec);
  return s;
}
inline std::string base64url_decode(std::string_view in) {
  std::error_code ec;
  auto s = base64url_decode(in, ec);
  tessera::detail::throw_if(ec);
  return s;
}

/// Standard base64 with padding.
inline std::string base64_encode(std::span<const unsigned char> in) {
  std::string s;
  detail::encode_into(s, in, detail::base64_alphabet, true);
  return s;
}
inline std::string base64_encode(std::string_view in) {
  return base64_encode(std::span(reinterpret_cast<const unsigned char*>(in.data()), in.size()));
}

/// Decodes padded standard base64: the length must be a multiple of 4, with at most two
/// '=' at the end and nowhere else.
inline std::string base64_decode(std::string_view in, std::error_code& ec) {
  ec = {};
  if (in.size() % 4 != 0) {
    ec = error::base64_invalid_length;
    return {};
  }
  std::size_t pad = 0;
  while (pad < 2 && pad < in.size() && in[in.size() - 1 - pad] == '=') ++pad;
  std::string_view body = in.substr(0, in.size() - pad);
  if (body.find('=') != std::string_view::npos) {
    ec = error::base64_padding;
    return {};
  }
  std::string out(base64url_decoded_size(body.size()), '\0');
  ec = detail::decode_unpadded(body, reinterpret_cast<unsigned char*>(out.data()), detail::base64_table);
  if (ec) return {};
  return out;
}
inline std::string base64_decode(std::string_view in) {
  std::error_code ec;
  auto s = base64_decode(in, ec);
  tessera::detail::throw_if(ec);
  return s;
}

}  // namespace tessera::crypto

#endif
