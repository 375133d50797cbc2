// tessera — tests/store/store_fixture.hpp
//
// How the conformance suite makes and tends each store model. One specialization of
// `store_fixture<S>` per model, and one line in TESSERA_CONFORMING_STORES (conformance.hpp):
//
//     store_fixture<S> f;     a fresh, empty store, torn down with `f` (a SQL store's fixture
//                             creates a temporary database here and drops it in its destructor)
//     f.store()               the store under test
//     f.housekeep(now)        let the store forget what expired by `now`, as its own housekeeping
//                             would (memory: sweep; SQL: its cleanup statement; a TTL store: the
//                             TTLs). Tests call it to prove that what must survive does survive.
//
// The suite itself uses nothing of a model but its concepts and this trait.
#pragma once

#include <tessera/ops/store_metrics.hpp>
#include <tessera/store/any.hpp>
#include <tessera/store/memory.hpp>

namespace tessera::store::test {

template <class Store>
class store_fixture;  // no primary definition: a store without a fixture does not compile into the suite

template <>
class store_fixture<memory> {
 public:
  memory& store() noexcept { return store_; }
  void housekeep(time_point now) { store_.sweep(now); }

 private:
  memory store_;
};

/// `any` over a memory store: the type-erased wrapper forwards every operation unchanged.
template <>
class store_fixture<any> {
 public:
  any& store() noexcept { return store_; }
  void housekeep(time_point now) { memory_.sweep(now); }

 private:
  memory memory_;
  any store_{memory_};
};

/// `any` over the timing decorator (ops/store_metrics.hpp) over a memory store: a type of its
/// own so that the suite names it, and proves the decorator forwards every operation unchanged.
struct timed_any : any {
  explicit timed_any(any a) : any(std::move(a)) {}
};

template <>
class store_fixture<timed_any> {
 public:
  timed_any& store() noexcept { return store_; }
  void housekeep(time_point now) { memory_.sweep(now); }

 private:
  ops::registry metrics_;
  memory memory_;
  timed_any store_{ops::timed_store(any(memory_), metrics_)};
};

}  // namespace tessera::store::test

#ifdef TESSERA_STORE_FIXTURE_HEADER
#include TESSERA_STORE_FIXTURE_HEADER
#endif
