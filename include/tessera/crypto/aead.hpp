// tessera — crypto/aead.hpp
//
// Authenticated encryption with AES-256-GCM (NIST SP 800-38D) for values the server hands to
// a browser and must get back unchanged: session cookies, the saved authorization request,
// login state (docs/security.md row 16).
//
// Format of a sealed value:   nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes)
//
// * The nonce is 96 random bits per seal. With random nonces NIST SP 800-38D §8.3 bounds one
//   key to 2^32 seals; rotate keys well before (a cookie key sealing 100 values a second
//   reaches that in 1.3 years).
// * Associated data is authenticated but not encrypted. Pass what the value is bound to — the
//   cookie name, a purpose string — so a value sealed for one use cannot be replayed in
//   another (a swapped cookie fails to open).
// * Key rotation: a `sealer` holds a list of keys; it seals with the first and opens with any,
//   so a new key can be introduced first and old cookies stay readable until they expire.
//
// Opening fails with `error::aead_open_failed` on any change to any byte, a wrong key, wrong
// associated data, or a value shorter than nonce + tag; nothing about which check failed is
// revealed. Keys are zeroized with OPENSSL_cleanse when the sealer is destroyed.
#ifndef TESSERA_CRYPTO_AEAD_HPP
#define TESSERA_CRYPTO_AEAD_HPP

#include <tessera/crypto/base64.hpp>
#include <tessera/crypto/detail/openssl.hpp>
#include <tessera/crypto/random.hpp>
#include <tessera/error.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <climits>
#include <cstddef>
#include <cstring>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::crypto {

inline constexpr std::size_t aead_key_size = 32;    // AES-256
inline constexpr std::size_t aead_nonce_size = 12;  // 96 bits (SP 800-38D §8.2.2)
inline constexpr std::size_t aead_tag_size = 16;    // 128 bits
inline constexpr std::size_t aead_overhead = aead_nonce_size + aead_tag_size;

namespace detail {

inline const EVP_CIPHER* aes_256_gcm() noexcept {
  static const cipher_ptr cipher{EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr)};
  return cipher.get();
}

// Key bytes that are wiped when they go away (including when a vector reallocates).
struct aead_key_bytes {
  std::array<unsigned char, aead_key_size> bytes{};
  aead_key_bytes() = default;
  aead_key_bytes(const aead_key_bytes&) = default;
  aead_key_bytes& operator=(const aead_key_bytes&) = default;
  ~aead_key_bytes() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

inline const unsigned char* bytes_of(std::string_view s) noexcept { return reinterpret_cast<const unsigned char*>(s.data()); }
inline std::span<const unsigned char> as_key_span(std::string_view s) noexcept { return {bytes_of(s), s.size()}; }

}  // namespace detail

/// Seals and opens values with AES-256-GCM under one current key and any number of older
/// keys. All member functions are const and safe to call from many threads at once.
class sealer {
 public:
  /// One key of exactly 32 bytes. Throws `tessera::system_error(aead_key_invalid)` otherwise.
  explicit sealer(std::span<const unsigned char> key) { add_key(key); }
  explicit sealer(std::string_view key) { add_key(detail::as_key_span(key)); }

  /// Keys for rotation: the first seals, all open. The list must be non-empty and every key
  /// 32 bytes, else `tessera::system_error(aead_key_invalid)`.
  sealer(std::initializer_list<std::string_view> keys) : sealer(std::span(keys.begin(), keys.size())) {}
  explicit sealer(std::span<const std::string_view> keys) {
    if (keys.empty()) tessera::detail::throw_error(error::aead_key_invalid);
    keys_.reserve(keys.size());
    for (auto k : keys) add_key(detail::as_key_span(k));
  }
  explicit sealer(std::span<const std::string> keys) {
    if (keys.empty()) tessera::detail::throw_error(error::aead_key_invalid);
    keys_.reserve(keys.size());
    for (const auto& k : keys) add_key(detail::as_key_span(k));
  }

  /// Seals `plaintext` bound to `associated_data`: returns nonce ‖ ciphertext ‖ tag (raw
  /// bytes). Fails with `random_failure` or `crypto_failure` (OpenSSL) and `input_too_large`
  /// past 2^31 - 29 bytes; on failure returns an empty string.
  std::string seal(std::string_view plaintext, std::string_view associated_data, std::error_code& ec) const {
    ec = {};
    if (plaintext.size() > static_cast<std::size_t>(INT_MAX) - aead_overhead || associated_data.size() > INT_MAX) {
      ec = error::input_too_large;
      return {};
    }
    std::string out(aead_overhead + plaintext.size(), '\0');
    auto* o = reinterpret_cast<unsigned char*>(out.data());
    random_bytes(std::span(o, aead_nonce_size), ec);
    if (ec) return {};
    detail::cipher_ctx_ptr ctx{EVP_CIPHER_CTX_new()};
    int len = 0;
    bool ok = ctx && detail::aes_256_gcm() &&
              EVP_EncryptInit_ex2(ctx.get(), detail::aes_256_gcm(), keys_.front().bytes.data(), o, nullptr) == 1 &&
              (associated_data.empty() ||
               EVP_EncryptUpdate(ctx.get(), nullptr, &len, detail::bytes_of(associated_data), static_cast<int>(associated_data.size())) == 1) &&
              (plaintext.empty() ||
               EVP_EncryptUpdate(ctx.get(), o + aead_nonce_size, &len, detail::bytes_of(plaintext), static_cast<int>(plaintext.size())) == 1) &&
              EVP_EncryptFinal_ex(ctx.get(), o + aead_nonce_size + plaintext.size(), &len) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(aead_tag_size),
                                  o + aead_nonce_size + plaintext.size()) == 1;
    if (!ok) {
      detail::clear_openssl_errors();
      ec = error::crypto_failure;
      return {};
    }
    return out;
  }
  std::string seal(std::string_view plaintext, std::string_view associated_data) const {
    std::error_code ec;
    auto s = seal(plaintext, associated_data, ec);
    tessera::detail::throw_if(ec);
    return s;
  }

  /// Opens a value made by `seal` with the same associated data, trying each key in order.
  /// Fails with `aead_open_failed` (and returns an empty string) when no key authenticates it.
  /// Never throws.
  std::string open(std::string_view sealed, std::string_view associated_data, std::error_code& ec) const noexcept try {
    ec = error::aead_open_failed;
    if (sealed.size() < aead_overhead || sealed.size() > static_cast<std::size_t>(INT_MAX) ||
        associated_data.size() > INT_MAX)
      return {};
    std::string out(sealed.size() - aead_overhead, '\0');
    for (const auto& key : keys_) {
      if (open_with(key, sealed, associated_data, out)) {
        ec = {};
        return out;
      }
    }
    OPENSSL_cleanse(out.data(), out.size());
    return {};
  } catch (...) {  // std::bad_alloc: report it as a failed open, as documented
    ec = error::aead_open_failed;
    return {};
  }
  std::string open(std::string_view sealed, std::string_view associated_data) const {
    std::error_code ec;
    auto s = open(sealed, associated_data, ec);
    tessera::detail::throw_if(ec);
    return s;
  }

  /// `seal`, then unpadded base64url (RFC 4648 §5): safe in cookies, URLs and form fields.
  std::string seal_base64url(std::string_view plaintext, std::string_view associated_data, std::error_code& ec) const {
    auto raw = seal(plaintext, associated_data, ec);
    return ec ? std::string{} : base64url_encode(raw);
  }
  std::string seal_base64url(std::string_view plaintext, std::string_view associated_data) const {
    return base64url_encode(seal(plaintext, associated_data));
  }

  /// Decodes base64url (strictly) and opens. Any decoding error is reported as
  /// `aead_open_failed` too: to the caller, text that was not sealed by us is just forged.
  std::string open_base64url(std::string_view text, std::string_view associated_data, std::error_code& ec) const noexcept try {
    auto raw = base64url_decode(text, ec);
    if (ec) {
      ec = error::aead_open_failed;
      return {};
    }
    return open(raw, associated_data, ec);
  } catch (...) {
    ec = error::aead_open_failed;
    return {};
  }
  std::string open_base64url(std::string_view text, std::string_view associated_data) const {
    std::error_code ec;
    auto s = open_base64url(text, associated_data, ec);
    tessera::detail::throw_if(ec);
    return s;
  }

  /// Number of keys (1 + old keys still accepted for opening).
  std::size_t key_count() const noexcept { return keys_.size(); }

 private:
  void add_key(std::span<const unsigned char> k) {
    if (k.size() != aead_key_size) tessera::detail::throw_error(error::aead_key_invalid);
    std::memcpy(keys_.emplace_back().bytes.data(), k.data(), aead_key_size);
  }

  static bool open_with(const detail::aead_key_bytes& key, std::string_view sealed, std::string_view ad, std::string& out) noexcept {
    const auto* in = detail::bytes_of(sealed);
    const std::size_t n = sealed.size() - aead_overhead;
    auto* o = reinterpret_cast<unsigned char*>(out.data());
    // The tag is const in our input; OpenSSL's ctrl takes a non-const pointer but only reads.
    std::array<unsigned char, aead_tag_size> tag;
    std::memcpy(tag.data(), in + aead_nonce_size + n, aead_tag_size);
    detail::cipher_ctx_ptr ctx{EVP_CIPHER_CTX_new()};
    int len = 0;
    unsigned char final_block[16];
    bool ok = ctx && detail::aes_256_gcm() &&
              EVP_DecryptInit_ex2(ctx.get(), detail::aes_256_gcm(), key.bytes.data(), in, nullptr) == 1 &&
              (ad.empty() || EVP_DecryptUpdate(ctx.get(), nullptr, &len, detail::bytes_of(ad), static_cast<int>(ad.size())) == 1) &&
              (n == 0 || EVP_DecryptUpdate(ctx.get(), o, &len, in + aead_nonce_size, static_cast<int>(n)) == 1) &&
              EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(aead_tag_size), tag.data()) == 1 &&
              EVP_DecryptFinal_ex(ctx.get(), final_block, &len) == 1;  // verifies the tag
    if (!ok) detail::clear_openssl_errors();
    return ok;
  }

  std::vector<detail::aead_key_bytes> keys_;
};

}  // namespace tessera::crypto

#endif
