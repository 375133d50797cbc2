// tessera — store.hpp: store concepts and the memory store (include list only).
#ifndef TESSERA_STORE_HPP
#define TESSERA_STORE_HPP

#include <tessera/store/concepts.hpp>
#include <tessera/store/memory.hpp>
#include <tessera/store/records.hpp>

#endif
