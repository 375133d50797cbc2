// tessera — identity/login_page.hpp
//
// The HTML of the local login form and of the sign-out confirmation: a plain form that posts to the login path, in the page
// shell every browser page shares (`html.hpp`: escaping, the one stylesheet, the one CSP).
// Every interpolated value is escaped, so a user name or a redirect URL can never close an
// attribute or open a tag. The page never contains the password; the CSRF token appears only
// in its hidden field, where the double-submit check (`browser::csrf_token`) needs it.
#ifndef TESSERA_IDENTITY_LOGIN_PAGE_HPP
#define TESSERA_IDENTITY_LOGIN_PAGE_HPP

#include <tessera/identity/html.hpp>

#include <string>
#include <string_view>

namespace tessera::identity {

/// `<form method="post" action=…>` with its hidden CSRF token and, when given, `redirect_url`
/// (the login and the sign-out forms).
inline void form_start_append(std::string& out, std::string_view action, std::string_view csrf_token,
                              std::string_view redirect_url) {
  out.append("<form method=\"post\" action=\"");
  html_escape_append(out, action);
  out.append("\">\n<input type=\"hidden\" name=\"csrf_token\" value=\"");
  html_escape_append(out, csrf_token);
  out.append("\">\n");
  if (!redirect_url.empty()) {
    out.append("<input type=\"hidden\" name=\"redirect_url\" value=\"");
    html_escape_append(out, redirect_url);
    out.append("\">\n");
  }
}

/// What the login form shows.
struct login_form {
  std::string_view action;        // the login path the form posts to
  std::string_view csrf_token;    // double-submit token (also in the sealed login cookie)
  std::string_view redirect_url;  // validated; empty: the server's default
  std::string_view user_name;     // pre-filled after a failed attempt; never the password
  std::string_view message;       // a fixed, generic notice; empty: none
};

/// The login form page.
inline std::string render_login_page(const login_form& f) {
  std::string out;
  out.reserve(1024);
  if (!f.message.empty()) paragraph_append(out, f.message, true);
  form_start_append(out, f.action, f.csrf_token, f.redirect_url);
  out.append("<label for=\"username\">User name</label>\n"
             "<input id=\"username\" name=\"username\" autocomplete=\"username\" autocapitalize=\"none\" "
             "spellcheck=\"false\" required");
  if (f.user_name.empty()) {
    out.append(" autofocus>\n");
  } else {
    out.append(" value=\"");
    html_escape_append(out, f.user_name);
    out.append("\">\n");
  }
  out.append("<label for=\"password\">Password</label>\n"
             "<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required");
  if (!f.user_name.empty()) out.append(" autofocus");
  out.append(">\n<button type=\"submit\">Sign in</button>\n</form>\n");
  return render_page("Sign in", out);
}

/// What the sign-out confirmation shows (docs/security.md row 36).
struct logout_form {
  std::string_view action;        // the logout path the form posts to
  std::string_view csrf_token;
  std::string_view redirect_url;  // validated; empty: the default
  std::string_view message;       // a fixed notice; empty: none
  bool offer_forget_consents = false;
};

/// The "Sign out?" page: one button that POSTs the form (a GET never signs out).
inline std::string render_logout_page(const logout_form& f) {
  std::string out;
  out.reserve(1024);
  if (!f.message.empty()) paragraph_append(out, f.message, true);
  paragraph_append(out, "Do you want to sign out?");
  form_start_append(out, f.action, f.csrf_token, f.redirect_url);
  if (f.offer_forget_consents)
    out.append("<label><input type=\"checkbox\" name=\"forget_consents\" value=\"on\"> "
               "Also forget the applications I allowed</label>\n");
  out.append("<button type=\"submit\">Sign out</button>\n</form>\n");
  return render_page("Sign out", out);
}

}  // namespace tessera::identity

#endif
