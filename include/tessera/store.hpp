// tessera — store.hpp: store concepts, the memory store and `store::any` (include list only).
// The SQLite, PostgreSQL and Redis stores are components: tessera/sqlite.hpp, postgres.hpp, redis.hpp.
#ifndef TESSERA_STORE_HPP
#define TESSERA_STORE_HPP

#include <tessera/store/any.hpp>
#include <tessera/store/concepts.hpp>
#include <tessera/store/memory.hpp>
#include <tessera/store/records.hpp>

#endif
