// tessera — OAuth 2.0 and OpenID Connect for C++20.
// config.hpp: version and the few macros every header uses.
#ifndef TESSERA_CONFIG_HPP
#define TESSERA_CONFIG_HPP

#define TESSERA_VERSION_MAJOR 0
#define TESSERA_VERSION_MINOR 1
#define TESSERA_VERSION_PATCH 0
#define TESSERA_VERSION_STRING "0.1.0"

#if __cplusplus < 202002L && !defined(_MSVC_LANG)
#error "tessera needs C++20"
#endif

// Programmer errors (broken preconditions) are assertions, never error codes.
#ifndef TESSERA_ASSERT
#include <cassert>
#define TESSERA_ASSERT(expr) assert(expr)
#endif

// Separate compilation (opt-in; see tessera/src.hpp): with TESSERA_SEPARATE_COMPILATION defined
// in every translation unit, the heavy non-template functions are only declared by the headers
// and defined once, in the one source that includes <tessera/src.hpp>; TESSERA_DECL is what
// marks their definitions (`inline` in the header-only default).
#ifdef TESSERA_SEPARATE_COMPILATION
#define TESSERA_DECL
#else
#define TESSERA_DECL inline
#endif

#if defined(__GNUC__) || defined(__clang__)
#define TESSERA_LIKELY(x) __builtin_expect(!!(x), 1)
#define TESSERA_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define TESSERA_LIKELY(x) (x)
#define TESSERA_UNLIKELY(x) (x)
#endif

#endif
