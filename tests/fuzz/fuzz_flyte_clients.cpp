// tessera — tests/fuzz/fuzz_flyte_clients.cpp: Flyte static clients as JSON text
// (flyte/clients.hpp, component tessera::flyte).
//
// Beyond "does not crash and throws nothing": a refused input has a cause and a message of
// printable ASCII only (positions escape the input's names; no input value is echoed); an
// accepted one writes back (static_clients_json) to a map that reads again to the same JSON,
// and still reads when unknown members are allowed.
#include <tessera/flyte/clients.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#define FUZZ_CHECK(x)           \
  do {                          \
    if (!(x)) __builtin_trap(); \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tessera;
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  flyte::config_problem problem;
  auto reg = flyte::parse_clients_json(in, problem);
  if (problem) {
    FUZZ_CHECK(reg.size() == 0);
    const std::string message = problem.message();
    FUZZ_CHECK(!message.empty());
    for (unsigned char c : message) FUZZ_CHECK(c >= 0x20 && c <= 0x7e);
    return 0;
  }

  const auto written = flyte::static_clients_json(reg);
  FUZZ_CHECK(written.size() == reg.size());
  flyte::config_problem again_problem;
  auto again = flyte::parse_static_clients(boost::json::value(written), again_problem);
  FUZZ_CHECK(!again_problem);
  FUZZ_CHECK(flyte::static_clients_json(again) == written);

  flyte::config_problem lenient_problem;
  auto lenient = flyte::parse_clients_json(in, lenient_problem, {.allow_unknown_members = true});
  FUZZ_CHECK(!lenient_problem && lenient.size() == reg.size());
  return 0;
}
