// tessera — client/qr.hpp: a QR code (ISO/IEC 18004) for the device flow's address, so a person
// can point a phone at the terminal instead of typing a URL.
//
// Byte mode, error correction level M (15 % of the symbol may be damaged), versions 1 to 10 —
// up to 213 bytes, more than any verification URI needs; longer text is `input_too_large`. The
// mask is chosen by the standard's penalty rules. `render_half_blocks` draws it for a terminal:
// two modules per character cell (U+2580/U+2584/U+2588), for a dark background, with the quiet
// zone of four modules the standard asks for.
#ifndef TESSERA_CLIENT_QR_HPP
#define TESSERA_CLIENT_QR_HPP

#include <tessera/error.hpp>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace tessera::client::qr {

/// A square of modules; `dark(x, y)` with x the column, y the row.
class symbol {
 public:
  symbol() = default;
  explicit symbol(int size) : size_(size), modules_(static_cast<std::size_t>(size * size), 0) {}
  int size() const noexcept { return size_; }
  int version() const noexcept { return (size_ - 17) / 4; }
  bool dark(int x, int y) const noexcept { return modules_[index(x, y)] != 0; }
  void set(int x, int y, bool d) noexcept { modules_[index(x, y)] = d ? 1 : 0; }

 private:
  std::size_t index(int x, int y) const noexcept { return static_cast<std::size_t>(y * size_ + x); }
  int size_ = 0;
  std::vector<std::uint8_t> modules_;
};

namespace detail {

// Level M, per version 1..10: error-correction codewords per block, and the blocks' data
// codeword counts (group 1: count × size, group 2: count × size + 1).
struct block_layout {
  int ec_per_block;
  int group1_blocks;
  int group1_data;
  int group2_blocks;
};
inline constexpr std::array<block_layout, 11> level_m = {{
    {0, 0, 0, 0},
    {10, 1, 16, 0},
    {16, 1, 28, 0},
    {26, 1, 44, 0},
    {18, 2, 32, 0},
    {24, 2, 43, 0},
    {16, 4, 27, 0},
    {18, 4, 31, 0},
    {22, 2, 38, 2},
    {22, 3, 36, 2},
    {26, 4, 43, 1},
}};
inline constexpr std::array<std::array<int, 3>, 11> alignment_centres = {{
    {0, 0, 0}, {0, 0, 0}, {6, 18, 0}, {6, 22, 0}, {6, 26, 0}, {6, 30, 0},
    {6, 34, 0}, {6, 22, 38}, {6, 24, 42}, {6, 26, 46}, {6, 28, 50},
}};

inline int data_codewords(int version) {
  const auto& b = level_m[static_cast<std::size_t>(version)];
  return b.group1_blocks * b.group1_data + b.group2_blocks * (b.group1_data + 1);
}

// GF(256) with the QR polynomial x^8 + x^4 + x^3 + x^2 + 1.
struct galois {
  std::array<std::uint8_t, 512> exp{};
  std::array<int, 256> log{};
  galois() {
    int x = 1;
    for (int i = 0; i < 255; ++i) {
      exp[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(x);
      log[static_cast<std::size_t>(x)] = i;
      x <<= 1;
      if (x & 0x100) x ^= 0x11d;
    }
    for (int i = 255; i < 512; ++i) exp[static_cast<std::size_t>(i)] = exp[static_cast<std::size_t>(i - 255)];
  }
  std::uint8_t mul(std::uint8_t a, std::uint8_t b) const {
    if (!a || !b) return 0;
    return exp[static_cast<std::size_t>(log[a] + log[b])];
  }
};
inline const galois& gf() {
  static const galois g;
  return g;
}

/// The Reed–Solomon remainder of `data` for `n` check codewords.
inline std::vector<std::uint8_t> rs_remainder(const std::vector<std::uint8_t>& data, int n) {
  const auto& g = gf();
  // Generator: product of (x - a^i), i = 0 .. n-1; coefficients highest degree first, leading 1 dropped.
  std::vector<std::uint8_t> gen(static_cast<std::size_t>(n), 0);
  gen.back() = 1;
  std::uint8_t root = 1;
  for (int i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < gen.size(); ++j) {
      gen[j] = g.mul(gen[j], root);
      if (j + 1 < gen.size()) gen[j] ^= gen[j + 1];
    }
    root = g.mul(root, 2);
  }
  std::vector<std::uint8_t> rem(static_cast<std::size_t>(n), 0);
  for (std::uint8_t b : data) {
    const std::uint8_t factor = b ^ rem.front();
    rem.erase(rem.begin());
    rem.push_back(0);
    for (std::size_t j = 0; j < rem.size(); ++j) rem[j] ^= g.mul(gen[j], factor);
  }
  return rem;
}

/// BCH code of `value` (`bits` wide) with generator `poly` of degree `degree`.
inline std::uint32_t bch(std::uint32_t value, std::uint32_t poly, int degree) {
  std::uint32_t r = value << degree;
  for (int i = 31; i >= degree; --i)
    if (r & (1u << i)) r ^= poly << (i - degree);
  return (value << degree) | r;
}

struct builder {
  symbol s;
  std::vector<std::uint8_t> function;  // 1 where a function pattern (not data) sits
  int n;

  explicit builder(int version) : s(17 + 4 * version), function(static_cast<std::size_t>(s.size() * s.size()), 0), n(s.size()) {}

  void fn(int x, int y, bool dark) {
    s.set(x, y, dark);
    function[static_cast<std::size_t>(y * n + x)] = 1;
  }
  bool is_fn(int x, int y) const { return function[static_cast<std::size_t>(y * n + x)] != 0; }

  void finder(int cx, int cy) {
    for (int dy = -4; dy <= 4; ++dy)
      for (int dx = -4; dx <= 4; ++dx) {
        const int x = cx + dx, y = cy + dy;
        if (x < 0 || y < 0 || x >= n || y >= n) continue;
        const int d = std::max(std::abs(dx), std::abs(dy));
        fn(x, y, d != 2 && d != 4);
      }
  }
  void alignment(int cx, int cy) {
    for (int dy = -2; dy <= 2; ++dy)
      for (int dx = -2; dx <= 2; ++dx) fn(cx + dx, cy + dy, std::max(std::abs(dx), std::abs(dy)) != 1);
  }

  void function_patterns(int version) {
    for (int i = 0; i < n; ++i) {
      fn(6, i, i % 2 == 0);
      fn(i, 6, i % 2 == 0);
    }
    finder(3, 3);
    finder(n - 4, 3);
    finder(3, n - 4);
    const auto& c = alignment_centres[static_cast<std::size_t>(version)];
    const int count = version == 1 ? 0 : (c[2] ? 3 : 2);
    for (int i = 0; i < count; ++i)
      for (int j = 0; j < count; ++j) {
        if ((i == 0 && j == 0) || (i == 0 && j == count - 1) || (i == count - 1 && j == 0)) continue;  // finders
        alignment(c[static_cast<std::size_t>(i)], c[static_cast<std::size_t>(j)]);
      }
    format_bits(0);  // reserve; written for real once the mask is known
    if (version >= 7) {
      const std::uint32_t v = bch(static_cast<std::uint32_t>(version), 0x1f25, 12);
      for (int i = 0; i < 18; ++i) {
        const bool bit = (v >> i) & 1;
        const int a = n - 11 + i % 3, b = i / 3;
        fn(a, b, bit);
        fn(b, a, bit);
      }
    }
  }

  void format_bits(int mask) {
    // Level M is 00; then the mask; BCH(15,5), then XOR 101010000010010.
    const std::uint32_t bits = bch(static_cast<std::uint32_t>(mask), 0x537, 10) ^ 0x5412;
    auto bit = [&](int i) { return ((bits >> i) & 1) != 0; };
    for (int i = 0; i <= 5; ++i) fn(8, i, bit(i));
    fn(8, 7, bit(6));
    fn(8, 8, bit(7));
    fn(7, 8, bit(8));
    for (int i = 9; i < 15; ++i) fn(14 - i, 8, bit(i));
    for (int i = 0; i < 8; ++i) fn(n - 1 - i, 8, bit(i));
    for (int i = 8; i < 15; ++i) fn(8, n - 15 + i, bit(i));
    fn(8, n - 8, true);  // the dark module
  }

  void place(const std::vector<std::uint8_t>& codewords) {
    std::size_t bit = 0;
    const std::size_t total = codewords.size() * 8;
    for (int right = n - 1; right >= 1; right -= 2) {
      if (right == 6) right = 5;
      for (int vert = 0; vert < n; ++vert)
        for (int j = 0; j < 2; ++j) {
          const int x = right - j;
          const bool upward = ((right + 1) & 2) == 0;
          const int y = upward ? n - 1 - vert : vert;
          if (is_fn(x, y)) continue;
          bool dark = false;
          if (bit < total) dark = ((codewords[bit >> 3] >> (7 - (bit & 7))) & 1) != 0;
          ++bit;  // remainder bits stay light
          s.set(x, y, dark);
        }
    }
  }

  static bool mask_bit(int mask, int x, int y) {
    switch (mask) {
      case 0: return (x + y) % 2 == 0;
      case 1: return y % 2 == 0;
      case 2: return x % 3 == 0;
      case 3: return (x + y) % 3 == 0;
      case 4: return (x / 3 + y / 2) % 2 == 0;
      case 5: return x * y % 2 + x * y % 3 == 0;
      case 6: return (x * y % 2 + x * y % 3) % 2 == 0;
      default: return ((x + y) % 2 + x * y % 3) % 2 == 0;
    }
  }
  void apply_mask(int mask) {
    for (int y = 0; y < n; ++y)
      for (int x = 0; x < n; ++x)
        if (!is_fn(x, y) && mask_bit(mask, x, y)) s.set(x, y, !s.dark(x, y));
  }

  long penalty() const {
    long p = 0;
    // N1: runs of five or more of one colour, in rows and columns; N3: finder-like 1:1:3:1:1
    // patterns with four light modules on a side.
    auto line = [&](bool rows) {
      for (int a = 0; a < n; ++a) {
        int run = 1;
        for (int b = 1; b <= n; ++b) {
          const bool same = b < n && (rows ? s.dark(b, a) == s.dark(b - 1, a) : s.dark(a, b) == s.dark(a, b - 1));
          if (same) {
            ++run;
          } else {
            if (run >= 5) p += 3 + (run - 5);
            run = 1;
          }
        }
        for (int b = 0; b + 10 < n + 1; ++b) {
          auto at = [&](int k) { return rows ? s.dark(b + k, a) : s.dark(a, b + k); };
          if (b + 11 > n) break;
          const bool core = at(0) && !at(1) && at(2) && at(3) && at(4) && !at(5) && at(6);
          const bool after = core && !at(7) && !at(8) && !at(9) && !at(10);
          const bool before_core = !at(0) && !at(1) && !at(2) && !at(3) && at(4) && !at(5) && at(6) && at(7) &&
                                   at(8) && !at(9) && at(10);
          if (after) p += 40;
          if (before_core) p += 40;
        }
      }
    };
    line(true);
    line(false);
    // N2: 2x2 blocks of one colour.
    for (int y = 0; y + 1 < n; ++y)
      for (int x = 0; x + 1 < n; ++x) {
        const bool c = s.dark(x, y);
        if (s.dark(x + 1, y) == c && s.dark(x, y + 1) == c && s.dark(x + 1, y + 1) == c) p += 3;
      }
    // N4: the dark share's distance from 50 %, in steps of 5 %.
    long dark = 0;
    for (int y = 0; y < n; ++y)
      for (int x = 0; x < n; ++x) dark += s.dark(x, y) ? 1 : 0;
    const long total = static_cast<long>(n) * n;
    const long k = (std::labs(dark * 20 - total * 10) + total - 1) / total - 1;
    p += std::max(0L, k) * 10;
    return p;
  }
};

}  // namespace detail

/// Encodes `text` (bytes) at level M in the smallest version that holds it, with the mask of
/// least penalty — or with `mask` (0..7) when given. `input_too_large` beyond 213 bytes.
inline symbol encode(std::string_view text, std::error_code& ec, int mask = -1) {
  ec = {};
  int version = 1;
  for (; version <= 10; ++version) {
    const int count_bits = version < 10 ? 8 : 16;
    if (4 + count_bits + 8 * static_cast<int>(text.size()) <= 8 * detail::data_codewords(version)) break;
  }
  if (version > 10) {
    ec = error::input_too_large;
    return {};
  }
  // The bit stream: mode 0100 (byte), the count, the bytes, a terminator of up to 4 zeros,
  // zero bits to a byte boundary, then the pad bytes 0xEC 0x11 alternately.
  const int capacity = detail::data_codewords(version);
  std::vector<std::uint8_t> data;
  std::uint32_t acc = 0;
  int acc_bits = 0;
  auto put = [&](std::uint32_t v, int bits) {
    for (int i = bits - 1; i >= 0; --i) {
      acc = (acc << 1) | ((v >> i) & 1);
      if (++acc_bits == 8) {
        data.push_back(static_cast<std::uint8_t>(acc));
        acc = 0;
        acc_bits = 0;
      }
    }
  };
  put(0b0100, 4);
  put(static_cast<std::uint32_t>(text.size()), version < 10 ? 8 : 16);
  for (unsigned char c : text) put(c, 8);
  const int used = static_cast<int>(data.size()) * 8 + acc_bits;
  put(0, std::min(4, capacity * 8 - used));
  if (acc_bits) put(0, 8 - acc_bits);
  for (bool ec_byte = true; static_cast<int>(data.size()) < capacity; ec_byte = !ec_byte) data.push_back(ec_byte ? 0xec : 0x11);

  // Blocks, their check codewords, and the interleaving.
  const auto& layout = detail::level_m[static_cast<std::size_t>(version)];
  std::vector<std::vector<std::uint8_t>> blocks, checks;
  std::size_t at = 0;
  for (int b = 0; b < layout.group1_blocks + layout.group2_blocks; ++b) {
    const int len = layout.group1_data + (b >= layout.group1_blocks ? 1 : 0);
    blocks.emplace_back(data.begin() + static_cast<std::ptrdiff_t>(at), data.begin() + static_cast<std::ptrdiff_t>(at + len));
    at += static_cast<std::size_t>(len);
    checks.push_back(detail::rs_remainder(blocks.back(), layout.ec_per_block));
  }
  std::vector<std::uint8_t> codewords;
  for (int i = 0; i <= layout.group1_data; ++i)
    for (const auto& b : blocks)
      if (i < static_cast<int>(b.size())) codewords.push_back(b[static_cast<std::size_t>(i)]);
  for (int i = 0; i < layout.ec_per_block; ++i)
    for (const auto& c : checks) codewords.push_back(c[static_cast<std::size_t>(i)]);

  detail::builder base(version);
  base.function_patterns(version);
  base.place(codewords);
  int best = mask;
  if (best < 0 || best > 7) {
    long best_penalty = -1;
    for (int m = 0; m < 8; ++m) {
      detail::builder trial = base;
      trial.apply_mask(m);
      trial.format_bits(m);
      const long p = trial.penalty();
      if (best_penalty < 0 || p < best_penalty) {
        best_penalty = p;
        best = m;
      }
    }
  }
  base.apply_mask(best);
  base.format_bits(best);
  return base.s;
}

/// The symbol as text for a terminal, each line two rows of modules. Terminals mostly draw light
/// text on a dark background, so the *light* modules (and the quiet zone of four) are the drawn
/// blocks and the dark ones are left to the background; lines end with '\n'. The bottom row of
/// an odd-sized symbol with its quiet zone is completed with light.
inline std::string render_half_blocks(const symbol& s) {
  constexpr int quiet = 4;
  const int n = s.size();
  auto light = [&](int x, int y) { return !(x >= 0 && y >= 0 && x < n && y < n && s.dark(x, y)); };
  std::string out;
  for (int y = -quiet; y < n + quiet; y += 2) {
    for (int x = -quiet; x < n + quiet; ++x) {
      const bool top = light(x, y), bottom = light(x, y + 1);
      out += top && bottom ? "\u2588" : top ? "\u2580" : bottom ? "\u2584" : " ";
    }
    out += '\n';
  }
  return out;
}

}  // namespace tessera::client::qr

#endif
