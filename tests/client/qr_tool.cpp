// tessera_qr_tool TEXT [MASK]: prints the QR symbol tessera encodes for TEXT (level M; the mask
// of least penalty, or MASK) as rows of 0 and 1, then "mask N" — for qr_crosscheck.py, which
// compares it with Debian's python3-qrcode.
#include <tessera/client/qr.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  std::error_code ec;
  const int mask = argc > 2 ? std::atoi(argv[2]) : -1;
  auto s = tessera::client::qr::encode(argv[1], ec, mask);
  if (ec) {
    std::printf("error %s\n", ec.message().c_str());
    return 1;
  }
  for (int y = 0; y < s.size(); ++y) {
    std::string row;
    for (int x = 0; x < s.size(); ++x) row += s.dark(x, y) ? '1' : '0';
    std::printf("%s\n", row.c_str());
  }
  return 0;
}
