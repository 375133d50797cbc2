// tessera_header_tests: the real check is that this program compiles and links (see
// CMakeLists.txt). Running it only reports how many headers were checked.
#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  const long count = argc > 1 ? std::strtol(argv[1], nullptr, 10) : -1;
  if (count <= 0) {
    std::fprintf(stderr, "no public headers were checked\n");
    return 1;
  }
  std::printf("%ld public headers compile alone (the umbrellas together), twice, and link together\n", count);
  return 0;
}
