// tessera — sqlite.hpp: the sqlite store component (tessera::sqlite; include list only).
#ifndef TESSERA_SQLITE_HPP
#define TESSERA_SQLITE_HPP

#include <tessera/sqlite/store.hpp>

#endif
