// tessera — store/detail/codec.hpp
//
// A compact binary form of store records for stores that keep a record as one value (a SQL
// blob, a Redis string): integers as 8 little-endian bytes, strings as a 4-byte length and
// their bytes, in a fixed field order behind a one-byte format version. Reading checks every
// length against what is left, so a damaged value is refused (`false`), never over-read.
#ifndef TESSERA_STORE_DETAIL_CODEC_HPP
#define TESSERA_STORE_DETAIL_CODEC_HPP

#include <tessera/store/records.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace tessera::store::detail {

/// The format written now; readers refuse any other.
inline constexpr unsigned char codec_version = 1;

/// A time point as stored: nanoseconds since the Unix epoch (the clock's own unit, so round
/// trips are exact).
inline std::int64_t to_stored(time_point t) noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
inline time_point from_stored(std::int64_t ns) noexcept {
  return time_point(std::chrono::duration_cast<time_point::duration>(std::chrono::nanoseconds(ns)));
}

class writer {
 public:
  writer() { out_.push_back(static_cast<char>(codec_version)); }

  writer& i64(std::int64_t v) {
    auto u = static_cast<std::uint64_t>(v);
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>((u >> (8 * i)) & 0xff));
    return *this;
  }
  writer& time(time_point t) { return i64(to_stored(t)); }
  writer& str(std::string_view s) {
    auto n = static_cast<std::uint32_t>(s.size());
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
    out_.append(s.data(), s.size());
    return *this;
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

class reader {
 public:
  explicit reader(std::string_view in) noexcept : in_(in) {
    ok_ = !in_.empty() && static_cast<unsigned char>(in_[0]) == codec_version;
    if (ok_) in_.remove_prefix(1);
  }

  reader& i64(std::int64_t& v) {
    if (!ok_ || in_.size() < 8) return fail();
    std::uint64_t u = 0;
    for (int i = 0; i < 8; ++i) u |= std::uint64_t(static_cast<unsigned char>(in_[i])) << (8 * i);
    v = static_cast<std::int64_t>(u);
    in_.remove_prefix(8);
    return *this;
  }
  reader& time(time_point& t) {
    std::int64_t v = 0;
    i64(v);
    if (ok_) t = from_stored(v);
    return *this;
  }
  reader& str(std::string& s) {
    if (!ok_ || in_.size() < 4) return fail();
    std::uint32_t n = 0;
    for (int i = 0; i < 4; ++i) n |= std::uint32_t(static_cast<unsigned char>(in_[i])) << (8 * i);
    in_.remove_prefix(4);
    if (in_.size() < n) return fail();
    s.assign(in_.data(), n);
    in_.remove_prefix(n);
    return *this;
  }
  /// Everything was read, and nothing is left over.
  bool done() const noexcept { return ok_ && in_.empty(); }
  bool ok() const noexcept { return ok_; }

 private:
  reader& fail() noexcept {
    ok_ = false;
    return *this;
  }
  std::string_view in_;
  bool ok_ = false;
};

// --- records ------------------------------------------------------------------------------

inline void write(writer& w, const grant_record& g) {
  w.str(g.client_id).str(g.subject).str(g.scope).str(g.audience).str(g.family_id).str(g.user_claims).time(g.auth_time);
}
inline void read(reader& r, grant_record& g) {
  r.str(g.client_id).str(g.subject).str(g.scope).str(g.audience).str(g.family_id).str(g.user_claims).time(g.auth_time);
}

inline std::string encode(const grant_record& g) {
  writer w;
  write(w, g);
  return w.take();
}
inline bool decode(std::string_view in, grant_record& g) {
  reader r(in);
  read(r, g);
  return r.done();
}

inline std::string encode(const code_record& c) {
  writer w;
  write(w, c.grant);
  w.str(c.redirect_uri).str(c.code_challenge).str(c.nonce).time(c.expires_at);
  return w.take();
}
inline bool decode(std::string_view in, code_record& c) {
  reader r(in);
  read(r, c.grant);
  r.str(c.redirect_uri).str(c.code_challenge).str(c.nonce).time(c.expires_at);
  return r.done();
}

inline std::string encode(const session_record& s) {
  writer w;
  w.str(s.subject).str(s.user_claims).time(s.auth_time).time(s.expires_at).str(s.upstream);
  return w.take();
}
inline bool decode(std::string_view in, session_record& s) {
  reader r(in);
  r.str(s.subject).str(s.user_claims).time(s.auth_time).time(s.expires_at).str(s.upstream);
  return r.done();
}

inline std::string encode(const access_record& a) {
  writer w;
  w.str(a.family_id).time(a.expires_at).str(a.user_claims);
  return w.take();
}
inline bool decode(std::string_view in, access_record& a) {
  reader r(in);
  r.str(a.family_id).time(a.expires_at).str(a.user_claims);
  return r.done();
}

inline std::string encode(const consent_record& c) {
  writer w;
  w.str(c.scope).time(c.granted_at).time(c.expires_at);
  return w.take();
}
inline bool decode(std::string_view in, consent_record& c) {
  reader r(in);
  r.str(c.scope).time(c.granted_at).time(c.expires_at);
  return r.done();
}

/// The parts of a device authorization that never change (a store keeps interval, last poll,
/// state and grant where it updates them).
inline std::string encode_static(const device_record& d) {
  writer w;
  w.str(d.client_id).str(d.scope).str(d.audience).str(d.user_code_hash).str(d.requester).time(d.expires_at);
  return w.take();
}
inline bool decode_static(std::string_view in, device_record& d) {
  reader r(in);
  r.str(d.client_id).str(d.scope).str(d.audience).str(d.user_code_hash).str(d.requester).time(d.expires_at);
  return r.done();
}

}  // namespace tessera::store::detail

#endif
