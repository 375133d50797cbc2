// tessera — postgres.hpp: the postgres store component (tessera::postgres; include list only).
#ifndef TESSERA_POSTGRES_HPP
#define TESSERA_POSTGRES_HPP

#include <tessera/postgres/store.hpp>

#endif
