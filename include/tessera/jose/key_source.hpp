// tessera — jose/key_source.hpp
//
// Where a JWT validator reads its keys. Identity providers (Okta, Google, Azure AD, Auth0,
// Keycloak) rotate their signing keys and publish the change in their JWKS, so a resource
// server must be able to swap its key set while it keeps validating — and a token verified a
// moment before the swap must not be left pointing at freed keys.
//
// A key source hands out, per verification, a `key_snapshot`: the set to verify against,
// plus (when the set can be replaced) the shared ownership that keeps it alive for as long as
// the verification result holds it.
//
// Concept (a type `S` models `key_source` when, for `const S s`):
//
//     s.snapshot()   noexcept, returns key_snapshot; `keys` is never null
//
// and `S` is copy-constructible (a validator holds its source by value).
//
// Exemplar, the smallest conforming type:
//
//     struct fixed_keys {
//       jwk_set keys;
//       key_snapshot snapshot() const noexcept { return {&keys, nullptr}; }
//     };
//
// Models:
//
//   static_key_set   the keys given at construction, for the validator's lifetime. Free on
//                    the hot path: a pointer, no reference count, no atomic. A result's `key`
//                    points into the validator, which must outlive the result (as it always
//                    did).
//   shared_key_set   a handle to a snapshot that anyone holding a copy of the handle may
//                    replace at any time with `update(jwk_set)` (a refreshing JWKS fetcher).
//                    Each verification takes the current snapshot's shared_ptr and its result
//                    keeps it, so swaps never invalidate a verification in flight or a result.
//                    Costs one shared_ptr copy under a mutex per verification (see
//                    benchmarks/RESULTS.md).
//
// An unknown key is observable without a callback: a token whose `kid` names no key in the
// snapshot (or that has no kid and no key for its alg) fails with `error::jws_kid_unknown`,
// and with no other cause. A refreshing source's owner reacts to exactly that cause — fetch
// the JWKS again, rate-limited, `update`, and retry the token once — and to nothing else (a
// bad signature with a known kid is not a reason to fetch).
#ifndef TESSERA_JOSE_KEY_SOURCE_HPP
#define TESSERA_JOSE_KEY_SOURCE_HPP

#include <tessera/jose/jwks.hpp>

#include <concepts>
#include <memory>
#include <mutex>

namespace tessera::jose {

/// The keys one verification uses. `owner`, when not empty, owns `*keys`; whoever keeps the
/// snapshot (a `verified_jwt` does) keeps the keys alive.
struct key_snapshot {
  const jwk_set* keys = nullptr;
  std::shared_ptr<const jwk_set> owner;
};

template <class S>
concept key_source = std::copy_constructible<S> && requires(const S& s) {
  { s.snapshot() } noexcept -> std::same_as<key_snapshot>;
};

/// A fixed set, owned by value: what `jwt_validator v(keys)` has always meant.
class static_key_set {
 public:
  static_key_set() = default;
  explicit static_key_set(jwk_set keys) : keys_(std::move(keys)) {}

  key_snapshot snapshot() const noexcept { return {&keys_, nullptr}; }
  const jwk_set& keys() const noexcept { return keys_; }

 private:
  jwk_set keys_;
};

static_assert(key_source<static_key_set>);

/// A replaceable set behind a handle. Copies of a `shared_key_set` share one snapshot: give
/// one copy to the validator and keep another to `update` it.
///
/// Thread safety: `snapshot`, `current` and `update` may be called from any number of
/// threads at once. The snapshot is a `shared_ptr` behind a mutex: a copy under the lock costs
/// ≈38 ns (≈17 ns more than an unguarded copy; ≈1 % of an HS256 verification, nothing beside an
/// RSA or ECDSA one). Not `std::atomic<std::shared_ptr>`: libstdc++ 12 (Debian 12's GCC) ends
/// its `load` with a relaxed unlock, so the reader's access to the pointer is not ordered
/// before the next `store` — a data race by the C++ memory model, which ThreadSanitizer reports
/// and which a weakly ordered CPU (arm64) could turn into a pointer paired with the wrong
/// reference count (benchmarks/RESULTS.md, JOSE section).
class shared_key_set {
 public:
  /// An empty set: every token fails with `jws_kid_unknown` until the first `update`.
  shared_key_set() : shared_key_set(jwk_set{}) {}
  explicit shared_key_set(jwk_set keys)
      : state_(std::make_shared<state>(std::make_shared<const jwk_set>(std::move(keys)))) {}

  /// Replaces the keys for every verification that starts after this returns. Verifications
  /// in flight and results already returned keep the snapshot they took. Const because it
  /// changes the shared snapshot, not the handle (as `*p = v` through a const shared_ptr).
  void update(jwk_set keys) const {
    auto next = std::make_shared<const jwk_set>(std::move(keys));
    {
      std::lock_guard lk(state_->mutex);
      next.swap(state_->current);
    }
    // The old snapshot is released here, outside the lock (its last holder may free it).
  }

  /// The current snapshot (never null).
  std::shared_ptr<const jwk_set> current() const noexcept {
    std::lock_guard lk(state_->mutex);
    return state_->current;
  }

  key_snapshot snapshot() const noexcept {
    auto p = current();
    const jwk_set* keys = p.get();
    return {keys, std::move(p)};
  }

  /// Whether two handles share one snapshot.
  friend bool operator==(const shared_key_set& a, const shared_key_set& b) noexcept { return a.state_ == b.state_; }

 private:
  struct state {
    explicit state(std::shared_ptr<const jwk_set> initial) : current(std::move(initial)) {}
    mutable std::mutex mutex;
    std::shared_ptr<const jwk_set> current;  // never null; guarded by `mutex`
  };
  std::shared_ptr<state> state_;  // never null
};

static_assert(key_source<shared_key_set>);

}  // namespace tessera::jose

#endif
