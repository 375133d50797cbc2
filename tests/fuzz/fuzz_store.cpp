// tessera — tests/fuzz/fuzz_store.cpp: the stored-record codec (store/detail/codec.hpp), which
// SQLite blobs and other one-value stores read back.
//
// A stored value is written by tessera, but a damaged file, a restored backup of another version
// or a hand-edited row can hold anything: decoding must refuse what is not exactly one record
// (never read past the value), and what it accepts must encode back to the same bytes.
#include <tessera/store/detail/codec.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#define FUZZ_CHECK(x) \
  do {                \
    if (!(x)) __builtin_trap(); \
  } while (0)

namespace {
template <class Record>
void round_trip(std::string_view in) {
  Record r;
  if (!tessera::store::detail::decode(in, r)) return;
  FUZZ_CHECK(tessera::store::detail::encode(r) == in);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  round_trip<tessera::store::grant_record>(in);
  round_trip<tessera::store::code_record>(in);
  round_trip<tessera::store::session_record>(in);
  return 0;
}
