// tessera — identity.hpp: how people log in (include list only).
#ifndef TESSERA_IDENTITY_HPP
#define TESSERA_IDENTITY_HPP

#include <tessera/identity/any_identity.hpp>
#include <tessera/identity/authenticator.hpp>
#include <tessera/identity/browser.hpp>
#include <tessera/identity/browser_settings.hpp>
#include <tessera/identity/concepts.hpp>
#include <tessera/identity/html.hpp>
#include <tessera/identity/local.hpp>
#include <tessera/identity/login_page.hpp>
#include <tessera/identity/oidc.hpp>
#include <tessera/identity/password_authenticator.hpp>
#include <tessera/identity/profiles.hpp>
#include <tessera/identity/session.hpp>
#include <tessera/identity/session_identity.hpp>
#include <tessera/identity/upstream.hpp>
#include <tessera/identity/users_file.hpp>

#endif
