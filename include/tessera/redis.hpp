// tessera — redis.hpp: the redis store component (tessera::redis; include list only).
#ifndef TESSERA_REDIS_HPP
#define TESSERA_REDIS_HPP

#include <tessera/redis/store.hpp>

#endif
