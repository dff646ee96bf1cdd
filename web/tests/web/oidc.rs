//! Real OpenID Connect sign-in, end to end: the pages (provider "oidc", discovery)
//! against the booking service's development identity provider, which speaks the
//! authorization-code flow with PKCE. Redirect → login → code → token exchange → ID
//! token verified against the JWKS → session, step by step, and what must fail.

use reqwest::header::LOCATION;

use crate::helpers::{cpr, Stack, IN_COPENHAGEN};

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn text(c: &reqwest::Client, url: String) -> String {
    c.get(url).send().await.unwrap().text().await.unwrap()
}

#[track_caller]
fn location(r: &reqwest::Response) -> String {
    assert_eq!(r.status(), 303, "a redirect");
    r.headers()[LOCATION].to_str().unwrap().to_owned()
}

/// The query parameters of a URL, decoded.
fn params(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), decode(v)))
        .collect()
}

fn decode(v: &str) -> String {
    let bytes = v.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            out.push(u8::from_str_radix(&v[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn param<'a>(p: &'a [(String, String)], name: &str) -> &'a str {
    &p.iter()
        .find(|(k, _)| k == name)
        .unwrap_or_else(|| panic!("no {name}"))
        .1
}

/// Starts a sign-in at the pages and signs in at the provider as `who`; returns the
/// callback URL the provider sends the browser to, and the authorization request.
async fn to_callback(
    c: &reqwest::Client,
    web: &str,
    who: &[(&str, &str)],
) -> (String, Vec<(String, String)>) {
    let r = c.get(format!("{web}/signin/oidc")).send().await.unwrap();
    let authorize = location(&r);
    let p = params(&authorize);
    // The provider's login page, then its form posted back with the request's fields.
    let page = c.get(&authorize).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("DEVELOPMENT ONLY"));
    let base = authorize.split('?').next().unwrap().to_owned();
    let mut form: Vec<(String, String)> = p.clone();
    form.extend(who.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let r = c.post(&base).form(&form).send().await.unwrap();
    (location(&r), p)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_signs_in_through_the_authorization_code_flow() {
    let stack = Stack::start_with(|w| {
        w.identity.provider = "oidc".into();
        w.identity.client_id = "web".into();
        w.identity.discovery_url = format!(
            "{}/dev/.well-known/openid-configuration",
            w.apis.booking_url
        );
    })
    .await;
    let web = &stack.web;
    let c = no_redirects();

    // The sign-in page offers the eID, not the development form.
    let page = text(&c, format!("{web}/signin")).await;
    assert!(
        page.contains("href=\"/signin/oidc\"") && !page.contains("name=\"role\""),
        "{page}"
    );

    let me = cpr(IN_COPENHAGEN[2]);
    let (callback, request) = to_callback(
        &c,
        web,
        &[("role", "citizen"), ("cpr", &me), ("name", "Karl Holm")],
    )
    .await;
    // The request carried PKCE (S256), a state and a nonce, to our callback.
    assert_eq!(param(&request, "response_type"), "code");
    assert_eq!(param(&request, "code_challenge_method"), "S256");
    assert_eq!(param(&request, "code_challenge").len(), 43);
    assert!(param(&request, "state").len() >= 32 && param(&request, "nonce").len() >= 32);
    assert_eq!(
        param(&request, "redirect_uri"),
        format!("{web}/signin/callback")
    );
    assert!(
        callback.starts_with(&format!("{web}/signin/callback?code=")),
        "{callback}"
    );
    let back = params(&callback);
    assert_eq!(param(&back, "state"), param(&request, "state"));

    // A forged state is refused and uses up the pending sign-in.
    let forged = callback.replace(&format!("state={}", param(&back, "state")), "state=forged");
    let r = c.get(&forged).send().await.unwrap();
    assert_eq!(location(&r), "/signin");
    let page = text(&c, format!("{web}/signin")).await;
    assert!(page.contains("Login blev ikke gennemført"), "{page}");
    let r = c.get(&callback).send().await.unwrap();
    assert_eq!(location(&r), "/signin", "no pending sign-in any more");

    // A fresh sign-in goes through: code → tokens → verified ID token → session.
    let (callback, _) = to_callback(&c, web, &[("role", "citizen"), ("cpr", &me)]).await;
    let r = c.get(&callback).send().await.unwrap();
    assert_eq!(location(&r), "/");
    let home = text(&c, format!("{web}/")).await;
    assert!(home.contains("Du er logget ind."), "{home}");
    assert!(
        home.contains(&format!("{}-{}", &me[..6], &me[6..])),
        "the citizen's own page"
    );
    // The access token works against the APIs: the bookings page loads.
    let r = c.get(format!("{web}/bookings")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    // The code was for one use: replaying the callback signs nobody in.
    let replay = no_redirects();
    let r = replay.get(&callback).send().await.unwrap();
    assert_eq!(location(&r), "/signin");

    // A helper through the same flow is held to the municipality rule.
    let h = no_redirects();
    let (callback, _) = to_callback(
        &h,
        web,
        &[
            ("role", "helper"),
            ("cpr", &cpr(crate::helpers::VACCINATED[0])),
            ("helper", "kommune-101-anna"),
            ("municipality", "101"),
        ],
    )
    .await;
    let r = h.get(&callback).send().await.unwrap();
    assert_eq!(location(&r), "/signin");
    let page = text(&h, format!("{web}/signin")).await;
    assert!(
        page.contains("Du kan kun hjælpe borgere i din egen kommune"),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_provider_checks_pkce_and_the_redirect_uri() {
    let stack = Stack::start().await;
    let c = no_redirects();
    let verifier = identity::pkce::verifier();
    let redirect_uri = "http://127.0.0.1:9/cb";
    let authorize = |challenge: String| {
        vec![
            ("response_type", "code".to_owned()),
            ("client_id", "web".to_owned()),
            ("redirect_uri", redirect_uri.to_owned()),
            ("scope", "openid".to_owned()),
            ("state", "s".to_owned()),
            ("nonce", "n".to_owned()),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256".to_owned()),
            ("role", "citizen".to_owned()),
            ("cpr", cpr(1)),
        ]
    };
    let code = |c: &reqwest::Client, form: Vec<(&'static str, String)>| {
        let c = c.clone();
        let url = format!("{}/dev/authorize", stack.booking);
        async move {
            let r = c.post(url).form(&form).send().await.unwrap();
            let p = params(&location(&r));
            param(&p, "code").to_owned()
        }
    };
    let exchange = |code: String, verifier: String, redirect: &'static str| {
        let c = c.clone();
        let url = format!("{}/dev/oauth/token", stack.booking);
        async move {
            c.post(url)
                .form(&[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", redirect),
                    ("client_id", "web"),
                    ("code_verifier", &verifier),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    // No PKCE: no code at all.
    let mut plain = authorize(String::new());
    plain[7].1 = "plain".into();
    let r = c
        .post(format!("{}/dev/authorize", stack.booking))
        .form(&plain)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // The wrong verifier, or another redirect URI: invalid_grant (and the code is gone).
    let k = code(&c, authorize(identity::pkce::challenge(&verifier))).await;
    let r = exchange(k.clone(), identity::pkce::verifier(), redirect_uri).await;
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    let r = exchange(k, verifier.clone(), redirect_uri).await;
    assert_eq!(r.status(), 400, "a code is used once, even a failed use");
    let k = code(&c, authorize(identity::pkce::challenge(&verifier))).await;
    let r = exchange(k, verifier.clone(), "http://127.0.0.1:9/other").await;
    assert_eq!(r.status(), 400);
    // The right ones: an access token for the APIs and an ID token for the client.
    let k = code(&c, authorize(identity::pkce::challenge(&verifier))).await;
    let r = exchange(k, verifier, redirect_uri).await;
    assert_eq!(r.status(), 200);
    let tokens: serde_json::Value = r.json().await.unwrap();
    assert!(tokens["access_token"].as_str().unwrap().contains('.'));
    assert!(tokens["id_token"].as_str().unwrap().contains('.'));
    let r = c
        .get(format!("{}/v1/me/bookings", stack.booking))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}
