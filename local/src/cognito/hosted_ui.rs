//! The hosted sign-in's pages and cookies, as Cognito's classic hosted UI
//! has them: a sign-in form posting `_csrf`, `username` and `password`
//! back to `/login?<authorize query>`, an `XSRF-TOKEN` cookie the `_csrf`
//! field must equal, a session cookie, and an error page. Plain HTML that
//! works without JavaScript or CSS.

/// The cookie holding the CSRF token the form must echo.
pub const XSRF_COOKIE: &str = "XSRF-TOKEN";
/// The hosted sign-in's session cookie.
pub const SESSION_COOKIE: &str = "cognito";
/// What the page says for an unknown user or a wrong password (the same
/// words for both, so the page does not reveal who has an account).
pub const INCORRECT: &str = "Incorrect username or password.";

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie<'a>(header: Option<&'a str>, name: &str) -> Option<&'a str> {
    header?
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// A `Set-Cookie` value for the hosted sign-in: whole site, not readable
/// by scripts, sent on top-level navigations from other sites (the
/// redirect back from an app). Not `Secure`: local runs are plain http.
pub fn set_cookie(name: &str, value: &str, max_age: Option<i64>) -> String {
    let mut text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        text.push_str(&format!("; Max-Age={age}"));
    }
    text
}

/// The sign-in page. `action_query` is the authorize query the form posts
/// back to; `error` is shown above the form.
pub fn login_page(action_query: &str, csrf: &str, error: Option<&str>) -> String {
    let action = escape(&format!("/login?{action_query}"));
    let alert = error.map_or_else(String::new, |e| {
        format!(
            "<p id=\"loginErrorMessage\" role=\"alert\"><strong>{}</strong></p>\n",
            escape(e)
        )
    });
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Signin</title>
</head>
<body>
<main>
<h1>Sign in with your email and password</h1>
{alert}<form name="cognitoSignInForm" method="post" action="{action}">
<input type="hidden" name="_csrf" value="{csrf}">
<p><label for="signInFormUsername">Email</label><br>
<input id="signInFormUsername" name="username" type="text" autocomplete="username" autocapitalize="none" required autofocus></p>
<p><label for="signInFormPassword">Password</label><br>
<input id="signInFormPassword" name="password" type="password" autocomplete="current-password" required></p>
<p><input name="signInSubmitButton" type="submit" value="Sign in"></p>
</form>
</main>
</body>
</html>
"#,
        csrf = escape(csrf),
    )
}

/// The pool's own error page, for requests that cannot be sent back to a
/// client (or a form posted without its CSRF token).
pub fn error_page(error: &str, detail: &str) -> String {
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Error</title>
</head>
<body>
<main>
<h1>An error was encountered with the requested page.</h1>
<p role="alert"><code>{}</code></p>
<p>{}</p>
</main>
</body>
</html>
"#,
        escape(error),
        escape(detail)
    )
}

/// What an error code means, in words, for the error page.
pub fn describe(error: &str) -> &'static str {
    match error {
        "redirect_mismatch" => {
            "The redirect_uri (or logout_uri) is not one of the app client's registered URLs."
        }
        "invalid_request" => "The request names no known app client or is malformed.",
        "invalid_csrf" => "The sign-in form expired or was not sent by this site. Sign in again.",
        _ => "The request could not be completed.",
    }
}

/// HTML-escapes text for element content and quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_by_exact_name() {
        let header = Some("a=1; XSRF-TOKEN=tok; cognito=sess");
        assert_eq!(cookie(header, XSRF_COOKIE), Some("tok"));
        assert_eq!(cookie(header, SESSION_COOKIE), Some("sess"));
        assert_eq!(cookie(header, "XSRF"), None);
        assert_eq!(cookie(None, "a"), None);
    }

    #[test]
    fn the_page_escapes_what_it_echoes() {
        let page = login_page("client_id=x&state=%3Cb%3E\"", "c\"sr<f", Some(INCORRECT));
        assert!(page.contains(r#"action="/login?client_id=x&amp;state=%3Cb%3E&quot;""#));
        assert!(page.contains(r#"value="c&quot;sr&lt;f""#));
        assert!(page.contains("Incorrect username or password."));
        assert!(!login_page("q", "c", None).contains("role=\"alert\""));
        assert!(error_page("<x>", "d").contains("&lt;x&gt;"));
    }
}
