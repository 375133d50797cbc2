// The one source of tessera_test_pch (tests/CMakeLists.txt): the target exists to build the
// precompiled header every test executable reuses; this file only gives it something to compile.
namespace tessera_test_pch {
int anchor() { return 0; }
}  // namespace tessera_test_pch
