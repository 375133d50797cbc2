// tessera — http.hpp: transport-neutral HTTP helpers (include list only).
#ifndef TESSERA_HTTP_HPP
#define TESSERA_HTTP_HPP

#include <tessera/http/basic_auth.hpp>
#include <tessera/http/cookie.hpp>
#include <tessera/http/form.hpp>
#include <tessera/http/headers.hpp>
#include <tessera/http/redirect_uri.hpp>
#include <tessera/http/sealed_cookie.hpp>

#endif
