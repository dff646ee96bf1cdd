//! The whole booking flow without JavaScript, as plain HTTP form posts: what a browser
//! with scripts off does. Also the guards: CSRF, sign-in, language, cookies.

use crate::helpers::{browser, cpr, input_value, slot_ids, Stack};

async fn get(c: &reqwest::Client, url: String) -> (u16, String) {
    let r = c.get(url).send().await.expect("get");
    (r.status().as_u16(), r.text().await.expect("body"))
}

async fn post(c: &reqwest::Client, url: String, form: &[(&str, &str)]) -> (u16, String) {
    let r = c.post(url).form(form).send().await.expect("post");
    (r.status().as_u16(), r.text().await.expect("body"))
}

async fn sign_in(c: &reqwest::Client, stack: &Stack, fields: &[(&str, &str)]) -> String {
    let (_, page) = get(c, format!("{}/signin", stack.web)).await;
    let csrf = input_value(&page, "csrf");
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    let (status, home) = post(c, format!("{}/signin", stack.web), &form).await;
    assert_eq!(status, 200);
    home
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_books_extends_moves_and_cancels_without_javascript() {
    let stack = Stack::start().await;
    let web = &stack.web;
    let c = browser();
    let me = cpr(11);
    let home = sign_in(
        &c,
        &stack,
        &[("role", "citizen"), ("cpr", &me), ("name", "Åse")],
    )
    .await;
    assert!(home.contains("Du er logget ind."), "{home}");
    // The citizen's own page shows their CPR number; the title never does.
    let shown = format!("{}-{}", &me[..6], &me[6..]);
    assert!(home.contains(&shown));
    let title = home
        .split("<title>")
        .nth(1)
        .and_then(|t| t.split("</title>").next())
        .unwrap_or_default();
    assert!(!title.contains(&me[..6]), "{title}");
    // Eligible for the open campaign only (not invited to the vaccination).
    assert!(home.contains("PCR-test") && !home.contains("COVID-19-vaccination"));

    // Find a site by postcode: the 8000 site first, then the nearest (8200), then 2100.
    let (status, sites) = get(&c, format!("{web}/book/pcr-test?postcode=8000")).await;
    assert_eq!(status, 200);
    let c_pos = sites.find("Testcenter Aarhus C").expect("8000 site");
    let n_pos = sites.find("Testcenter Aarhus N").expect("8200 site");
    let o_pos = sites.find("Testcenter Østerbro").expect("2100 site");
    assert!(c_pos < n_pos && n_pos < o_pos);
    // By municipality: only København's.
    let (_, sites) = get(&c, format!("{web}/book/pcr-test?municipality=101")).await;
    assert!(sites.contains("Testcenter Østerbro") && !sites.contains("Testcenter Aarhus"));
    // Bad input gets a message, not an error page.
    let (status, sites) = get(&c, format!("{web}/book/pcr-test?postcode=80")).await;
    assert_eq!(status, 200);
    assert!(sites.contains("Postnummeret skal være 4 cifre"));

    // Pick a day and a time, hold it.
    let day = Stack::first_day();
    let site = stack.sites[0];
    let (status, page) = get(&c, format!("{web}/book/pcr-test/sites/{site}?date={day}")).await;
    assert_eq!(status, 200);
    let slots = slot_ids(&page);
    assert_eq!(slots.len(), 4, "four half hours from 09:00 to 11:00");
    let csrf = input_value(&page, "csrf");
    let slot = slots[0].to_string();
    let hold_form = [
        ("csrf", csrf.as_str()),
        ("campaign", "pcr-test"),
        ("site", &site.to_string()),
        ("date", day.as_str()),
        ("slot", slot.as_str()),
    ];
    // Without the CSRF token nothing happens.
    let mut forged = hold_form;
    forged[0] = ("csrf", "forged");
    let (_, page) = post(&c, format!("{web}/book/hold"), &forged).await;
    assert!(page.contains("Formularen var for gammel"), "{page}");
    assert_eq!(stack.slot(slots[0]).await, (0, 0));

    let (_, page) = post(&c, format!("{web}/book/hold"), &hold_form).await;
    assert!(page.contains("Bekræft din tid"), "{page}");
    assert!(page.contains("data-expires="));
    assert_eq!(stack.slot(slots[0]).await, (0, 1));
    let (_, page) = post(&c, format!("{web}/book/extend"), &[("csrf", &csrf)]).await;
    assert!(page.contains("Du har fået mere tid."), "{page}");
    assert!(page.contains("Gange du kan få mere tid: 9"));

    // Confirm: the receipt.
    let (_, receipt) = post(&c, format!("{web}/book/confirm"), &[("csrf", &csrf)]).await;
    assert!(
        receipt.contains("Kvittering") && receipt.contains("Din tid er booket."),
        "{receipt}"
    );
    assert!(receipt.contains("Testcenter Aarhus C"));
    assert_eq!(stack.slot(slots[0]).await, (1, 0));
    let booking_id = receipt
        .split("<code>")
        .nth(1)
        .and_then(|s| s.split("</code>").next())
        .expect("booking number")
        .to_owned();

    // Move it to another site's time.
    let (_, page) = get(
        &c,
        format!("{web}/book/pcr-test?municipality=101&move={booking_id}"),
    )
    .await;
    assert!(page.contains("Du flytter en booking"));
    let other = stack.sites[2];
    let (_, page) = get(
        &c,
        format!("{web}/book/pcr-test/sites/{other}?date={day}&move={booking_id}"),
    )
    .await;
    let new_slot = slot_ids(&page)[1].to_string();
    let (_, page) = post(
        &c,
        format!("{web}/book/hold"),
        &[
            ("csrf", &csrf),
            ("campaign", "pcr-test"),
            ("site", &other.to_string()),
            ("date", &day),
            ("slot", &new_slot),
            ("move", &booking_id),
        ],
    )
    .await;
    assert!(page.contains("Bekræft din nye tid"), "{page}");
    let (_, receipt) = post(&c, format!("{web}/book/confirm"), &[("csrf", &csrf)]).await;
    assert!(receipt.contains("Din tid er flyttet.") && receipt.contains("Testcenter Østerbro"));
    assert_eq!(
        stack.slot(slots[0]).await,
        (0, 0),
        "the old place is given back"
    );

    // My bookings: the new one upcoming, the old one in the history as moved.
    let (_, list) = get(&c, format!("{web}/bookings")).await;
    assert!(list.contains("Flyttet"), "{list}");
    let new_id = receipt
        .split("<code>")
        .nth(1)
        .and_then(|s| s.split("</code>").next())
        .expect("booking number")
        .to_owned();
    // Cancel: asks first, then cancels.
    let (_, confirm) = get(&c, format!("{web}/bookings/{new_id}/cancel")).await;
    let key = input_value(&confirm, "key");
    let (_, list) = post(
        &c,
        format!("{web}/bookings/{new_id}/cancel"),
        &[("csrf", &csrf), ("key", &key)],
    )
    .await;
    assert!(
        list.contains("Din booking er aflyst.") && list.contains("Du har ingen kommende tider."),
        "{list}"
    );
    // The same cancel again (a double submit) answers as the first did.
    let (_, again) = post(
        &c,
        format!("{web}/bookings/{new_id}/cancel"),
        &[("csrf", &csrf), ("key", &key)],
    )
    .await;
    assert!(again.contains("Din booking er aflyst."), "{again}");

    // Nobody else has looked.
    let (_, audit) = get(&c, format!("{web}/audit")).await;
    assert!(audit.contains("Ingen andre har set dine oplysninger."));

    // Signing out ends it.
    let (_, home) = post(&c, format!("{web}/signout"), &[("csrf", &csrf)]).await;
    assert!(home.contains("Du er logget ud."));
    let (_, page) = get(&c, format!("{web}/bookings")).await;
    assert!(page.contains("Log ind for at fortsætte."), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guards_languages_and_friendly_errors() {
    let stack = Stack::start().await;
    let web = &stack.web;
    let c = browser();

    // The session cookie is HttpOnly, SameSite and holds nothing readable.
    let r = c.get(format!("{web}/signin")).send().await.unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("script-src 'self'"));
    let page = r.text().await.unwrap();
    assert!(
        page.contains("Kun til udvikling."),
        "the dev sign-in is marked"
    );

    // English, completely; and back.
    let (_, page) = get(&c, format!("{web}/lang/en?next=/signin")).await;
    assert!(page.contains("<html lang=\"en\">") && page.contains("Development only."));
    let (_, page) = get(&c, format!("{web}/lang/da?next=//evil.example/")).await;
    assert!(
        page.contains("<html lang=\"da\">"),
        "an outside next goes home"
    );

    // A bad CPR number is named and changes nothing.
    let (_, signin) = get(&c, format!("{web}/signin")).await;
    let csrf = input_value(&signin, "csrf");
    let (_, page) = post(
        &c,
        format!("{web}/signin"),
        &[("csrf", &csrf), ("role", "citizen"), ("cpr", "123")],
    )
    .await;
    assert!(page.contains("CPR-nummeret er ikke gyldigt"));
    assert!(!page.contains("href=\"/bookings\""), "still signed out");

    // Not invited: the vaccination page explains instead of failing.
    let me = cpr(12);
    let (_, _) = post(
        &c,
        format!("{web}/signin"),
        &[("csrf", &csrf), ("role", "citizen"), ("cpr", &me)],
    )
    .await;
    let day = Stack::first_day();
    let site = stack.sites[0];
    let (_, page) = get(
        &c,
        format!("{web}/book/covid-dose-1/sites/{site}?date={day}"),
    )
    .await;
    let slot = slot_ids(&page)[0].to_string();
    let csrf = input_value(&page, "csrf");
    let (_, page) = post(
        &c,
        format!("{web}/book/hold"),
        &[
            ("csrf", &csrf),
            ("campaign", "covid-dose-1"),
            ("site", &site.to_string()),
            ("date", &day),
            ("slot", &slot),
        ],
    )
    .await;
    assert!(
        page.contains("Du er ikke inviteret til dette endnu."),
        "{page}"
    );
    // No time chosen.
    let (_, page) = post(
        &c,
        format!("{web}/book/hold"),
        &[
            ("csrf", &csrf),
            ("campaign", "pcr-test"),
            ("site", &site.to_string()),
            ("date", &day),
        ],
    )
    .await;
    assert!(page.contains("Vælg en af de ledige tider."));
    // Unknown pages and bookings are friendly 404s, never a stack trace.
    let (status, page) = get(&c, format!("{web}/bookings/not-a-booking")).await;
    assert_eq!(status, 404);
    assert!(page.contains("Siden findes ikke."));
    let (status, _) = get(&c, format!("{web}/no/such/page")).await;
    assert_eq!(status, 404);
    let (status, _) = get(&c, format!("{web}/book/no-such-campaign")).await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passes_show_register_facts_and_a_qr_code() {
    let stack = Stack::start().await;
    let web = &stack.web;
    let c = browser();
    let me = cpr(crate::helpers::VACCINATED[1]);
    sign_in(&c, &stack, &[("role", "citizen"), ("cpr", &me)]).await;
    let (status, page) = get(&c, format!("{web}/passes")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Vaccinationspas") && page.contains("Comirnaty (BioNTech&#x2f;Pfizer)"),
        "{page}"
    );
    assert!(page.contains("2 &#x2f; 2"));
    let csrf = input_value(&page, "csrf");
    let (_, pass) = post(&c, format!("{web}/passes/vaccination"), &[("csrf", &csrf)]).await;
    assert!(
        pass.contains("src=\"/passes/vaccination/qr.png\""),
        "{pass}"
    );
    assert!(
        pass.contains("URN:UVCI:") || pass.contains("urn:uvci:"),
        "{pass}"
    );
    let r = c
        .get(format!("{web}/passes/vaccination/qr.png"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.headers()["cache-control"], "no-store");
    let png = r.bytes().await.unwrap();
    assert_eq!(&png[..4], b"\x89PNG");
    // The printable PDF pass, through the pages with the person's token, in each language.
    assert!(
        pass.contains("href=\"/passes/vaccination/pass.pdf?lang=da\""),
        "{pass}"
    );
    for lang in ["da", "en", "both"] {
        let r = c
            .get(format!("{web}/passes/vaccination/pass.pdf?lang={lang}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/pdf");
        assert!(r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment"));
        assert_eq!(&r.bytes().await.unwrap()[..5], b"%PDF-");
    }
    let (status, _) = get(&c, format!("{web}/passes/vaccination/pass.pdf?lang=fr")).await;
    assert_eq!(status, 404);
    // Vaccinated 20 days ago: the domestic pass is offered at both levels too.
    let (_, page) = get(&c, format!("{web}/passes")).await;
    assert!(page.contains("Dansk coronapas, kun gyldighed"), "{page}");
    assert!(page.contains("action=\"/passes/domestic-2\""), "{page}");
    let (_, pass) = post(&c, format!("{web}/passes/domestic-2"), &[("csrf", &csrf)]).await;
    assert!(pass.contains("src=\"/passes/domestic-2/qr.png\""), "{pass}");
    assert!(pass.contains("Tag billedlegitimation med"), "{pass}");
    let r = c
        .get(format!("{web}/passes/domestic-2/pass.pdf?lang=en"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    // The issued pass is listed; an unknown kind is a 404.
    let (_, page) = get(&c, format!("{web}/passes")).await;
    assert!(page.contains("Udstedte pas"));
    let (status, _) = get(&c, format!("{web}/passes/other")).await;
    assert_eq!(status, 404);

    // Someone with nothing in the registers is told so.
    let c = browser();
    sign_in(&c, &stack, &[("role", "citizen"), ("cpr", &cpr(44))]).await;
    let (_, page) = get(&c, format!("{web}/passes")).await;
    assert!(page.contains("Registrene har ikke noget"), "{page}");
    let (_, page) = get(&c, format!("{web}/passes/test")).await;
    assert!(page.contains("Det gik ikke"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authority_previews_a_cohort_opens_a_wave_and_sees_it_book() {
    let stack = Stack::start().await;
    let web = &stack.web;
    let a = browser();
    let home = sign_in(&a, &stack, &[("role", "authority"), ("subject", "sst-1")]).await;
    assert!(home.contains("href=\"/console\""));
    let (status, console) = get(&a, format!("{web}/console")).await;
    assert_eq!(status, 200);
    let csrf = input_value(&console, "csrf");
    let cohort = |action: &'static str, min: &'static str, max: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("name", "50+ Aarhus".to_owned()),
            ("age_min", min.to_owned()),
            ("age_max", max.to_owned()),
            ("municipality", "751".to_owned()),
            ("action", action.to_owned()),
        ]
    };
    let send = |form: Vec<(&'static str, String)>| {
        let a = a.clone();
        let url = format!("{web}/console/cohorts");
        async move {
            a.post(url)
                .form(&form)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let page = send(cohort("preview", "50", "")).await;
    assert!(page.contains("data-preview>2<"), "{page}");
    let page = send(cohort("preview", "90", "80")).await;
    assert!(page.contains("Alder skal være"), "{page}");
    let page = send(cohort("create", "50", "")).await;
    assert!(page.contains("Målgruppen er oprettet."), "{page}");
    let cohort_id: String = page
        .split("<option value=\"")
        .skip(1)
        .find(|o| o.contains("50+ Aarhus (2)"))
        .and_then(|o| o.split('"').next())
        .expect("cohort option")
        .to_owned();
    let key = input_value(&page, "key");
    let (_, wave) = post(
        &a,
        format!("{web}/console/waves"),
        &[
            ("csrf", &csrf),
            ("key", &key),
            ("cohort", &cohort_id),
            ("campaign", "covid-dose-1"),
            ("when", "now"),
            ("waiting_room", "on"),
        ],
    )
    .await;
    assert!(wave.contains("Bølgen er åbnet"), "{wave}");
    assert!(wave.contains("data-figure=\"fig_invited\">2<"), "{wave}");
    let wave_url = a
        .get(format!("{web}/console"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .split("href=\"/console/waves/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .map(|id| format!("{web}/console/waves/{id}"))
        .expect("wave link");

    // An invited citizen now may book the vaccination.
    let c = browser();
    let me = cpr(crate::helpers::VACCINATED[0]);
    let home = sign_in(&c, &stack, &[("role", "citizen"), ("cpr", &me)]).await;
    assert!(home.contains("Du er inviteret"), "{home}");
    let day = Stack::first_day();
    let site = stack.sites[1];
    let (_, page) = get(
        &c,
        format!("{web}/book/covid-dose-1/sites/{site}?date={day}"),
    )
    .await;
    let slot = slot_ids(&page)[0].to_string();
    let ccsrf = input_value(&page, "csrf");
    let site_text = site.to_string();
    let hold_form = [
        ("csrf", ccsrf.as_str()),
        ("campaign", "covid-dose-1"),
        ("site", site_text.as_str()),
        ("date", day.as_str()),
        ("slot", slot.as_str()),
    ];
    // The wave's opening goes through its waiting room: the first try queues.
    let (_, page) = post(&c, format!("{web}/book/hold"), &hold_form).await;
    assert!(page.contains("<h1>Venteværelse</h1>"), "{page}");
    let (landed, _) = wait_for_turn(&c, web, "Foran dig i køen:").await;
    assert_eq!(landed, format!("/book/covid-dose-1/sites/{site}"));
    let (_, page) = post(&c, format!("{web}/book/hold"), &hold_form).await;
    assert!(page.contains("Bekræft din tid"), "{page}");
    let (_, receipt) = post(&c, format!("{web}/book/confirm"), &[("csrf", &ccsrf)]).await;
    assert!(receipt.contains("Din tid er booket."), "{receipt}");
    // The citizen cannot open the console.
    let (status, page) = get(&c, format!("{web}/console")).await;
    assert_eq!(status, 403);
    assert!(page.contains("Den side er ikke for den rolle"));

    // The count moved.
    let figures: serde_json::Value = a
        .get(format!("{wave_url}/figures.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let booked = figures["bars"]
        .as_array()
        .and_then(|b| b.iter().find(|b| b["key"] == "fig_booked"))
        .and_then(|b| b["value"].as_i64());
    assert_eq!(booked, Some(1), "{figures}");
    // Uptake: both are 50-59 in Aarhus, one has booked.
    let (_, page) = get(&a, format!("{web}/console?uptake=covid-dose-1")).await;
    assert!(
        page.contains("Efter alder") && page.contains("Efter kommune"),
        "{page}"
    );
    assert!(
        page.contains("<th scope=\"row\">50-59</th><td>2</td><td>1</td><td>50 %</td>"),
        "{page}"
    );
    assert!(page.contains("<th scope=\"row\">Aarhus</th><td>2</td><td>1</td><td>50 %</td>"));
    // The opening-day view counts the booking within a few samples.
    let mut booked_per_minute = 0;
    for _ in 0..40 {
        let live: serde_json::Value = a
            .get(format!("{web}/console/live.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        booked_per_minute = live["figures"]["bookings"].as_i64().unwrap_or(0);
        if booked_per_minute >= 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    assert!(booked_per_minute >= 1, "the last minute shows the booking");
    let r = c
        .get(format!("{web}/console/live.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "not for citizens");
    // Closing the wave.
    let (_, page) = post(&a, format!("{wave_url}/close"), &[("csrf", &csrf)]).await;
    assert!(
        page.contains("Bølgen er lukket.") && page.contains("lukket"),
        "{page}"
    );
    // Its waiting room, for its campaign only, stops gating with it.
    let rooms = stack
        .api(reqwest::Method::GET, "/v1/waiting-rooms", None)
        .await;
    let wave_id = wave_url.rsplit('/').next().unwrap();
    assert_eq!(rooms[0]["name"], format!("wave-{wave_id}"), "{rooms}");
    assert_eq!(rooms[0]["campaign"], "covid-dose-1", "{rooms}");
    assert_eq!(rooms[0]["gate_holds"], false, "{rooms}");
    // Campaigns and capacity.
    let (_, page) = get(&a, format!("{web}/console")).await;
    assert!(
        page.contains("Steder og kapacitet") && page.contains("3 åbne steder."),
        "{page}"
    );
    let key = input_value(&page, "key");
    let (_, page) = post(
        &a,
        format!("{web}/console/campaigns"),
        &[
            ("csrf", &csrf),
            ("key", &key),
            ("code", "covid-dose-3"),
            ("name", "COVID-19, 3. stik"),
            ("kind", "vaccination"),
            ("access", "invitation"),
        ],
    )
    .await;
    assert!(
        page.contains("Kampagnen er oprettet.") && page.contains("<code>covid-dose-3</code>"),
        "{page}"
    );
    let key = input_value(&page, "key");
    let (_, page) = post(
        &a,
        format!("{web}/console/campaigns"),
        &[
            ("csrf", &csrf),
            ("key", &key),
            ("code", "Not A Code"),
            ("name", "x"),
            ("kind", "test"),
            ("access", "open"),
        ],
    )
    .await;
    assert!(page.contains("var ikke gyldigt"), "{page}");
    // Scheduling needs a time.
    let (_, page) = get(&a, format!("{web}/console")).await;
    let key = input_value(&page, "key");
    let (_, page) = post(
        &a,
        format!("{web}/console/waves"),
        &[
            ("csrf", &csrf),
            ("key", &key),
            ("cohort", &cohort_id),
            ("campaign", "covid-dose-1"),
            ("when", "later"),
            ("opens_at", ""),
        ],
    )
    .await;
    assert!(page.contains("Angiv dato og klokkeslæt"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_helper_books_for_a_citizen_switches_citizen_and_the_citizen_sees_it() {
    let stack = Stack::start().await;
    let web = &stack.web;
    let h = browser();
    let first = cpr(crate::helpers::IN_COPENHAGEN[2]);
    let second = cpr(crate::helpers::IN_COPENHAGEN[3]);
    let home = sign_in(
        &h,
        &stack,
        &[
            ("role", "helper"),
            ("cpr", &first),
            ("helper", "kommune-101-anna"),
            ("municipality", "101"),
        ],
    )
    .await;
    let masked = format!("{}-****", &first[..6]);
    assert!(
        home.contains("Du handler på vegne af") && home.contains(&masked),
        "{home}"
    );
    assert!(!home.contains(&first));
    // Book for the first citizen.
    let day = Stack::first_day();
    let site = stack.sites[0];
    let (_, page) = get(&h, format!("{web}/book/pcr-test/sites/{site}?date={day}")).await;
    let slot = slot_ids(&page)[0].to_string();
    let csrf = input_value(&page, "csrf");
    post(
        &h,
        format!("{web}/book/hold"),
        &[
            ("csrf", &csrf),
            ("campaign", "pcr-test"),
            ("site", &site.to_string()),
            ("date", &day),
            ("slot", &slot),
        ],
    )
    .await;
    let (_, receipt) = post(&h, format!("{web}/book/confirm"), &[("csrf", &csrf)]).await;
    assert!(
        receipt.contains("Din tid er booket.") && receipt.contains("Booket af en hjælper"),
        "{receipt}"
    );
    // A helper cannot read the citizen's audit trail.
    let (_, page) = get(&h, format!("{web}/audit")).await;
    assert!(page.contains("Kun borgeren selv"), "{page}");
    // A bad CPR number changes nothing; a good one switches.
    let (_, page) = post(
        &h,
        format!("{web}/helper/citizen"),
        &[("csrf", &csrf), ("cpr", "99")],
    )
    .await;
    assert!(
        page.contains("CPR-nummeret er ikke gyldigt") && page.contains(&masked),
        "{page}"
    );
    let (_, page) = post(
        &h,
        format!("{web}/helper/citizen"),
        &[("csrf", &csrf), ("cpr", &second)],
    )
    .await;
    assert!(
        page.contains("Du hjælper nu en anden borger.")
            && page.contains(&format!("{}-****", &second[..6]))
    );
    let (_, list) = get(&h, format!("{web}/bookings")).await;
    assert!(
        list.contains("Du har ingen kommende tider."),
        "the second citizen has none: {list}"
    );

    // The first citizen sees who did what.
    let c = browser();
    sign_in(&c, &stack, &[("role", "citizen"), ("cpr", &first)]).await;
    let (_, audit) = get(&c, format!("{web}/audit")).await;
    assert!(audit.contains("Hjælper: kommune-101-anna"), "{audit}");
    assert!(
        audit.contains("bookede en tid") && audit.contains("så dine bookinger"),
        "{audit}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sign_in_warns_before_it_ends_and_can_be_extended() {
    // Sign-ins last 5 minutes here, and the warning shows from 10 minutes before.
    let stack = Stack::start_with(|w| w.session.max_minutes = 5).await;
    let web = &stack.web;
    let c = browser();
    let home = sign_in(&c, &stack, &[("role", "citizen"), ("cpr", &cpr(61))]).await;
    assert!(
        home.contains("Du bliver logget ud af sikkerhedshensyn om 5 minutter."),
        "{home}"
    );
    let csrf = input_value(&home, "csrf");
    let (_, page) = post(
        &c,
        format!("{web}/signin/extend"),
        &[("csrf", &csrf), ("next", "/bookings")],
    )
    .await;
    assert!(
        page.contains("Du er stadig logget ind.") && page.contains("Mine bookinger"),
        "{page}"
    );
    // An outside `next` goes home instead.
    let (_, page) = post(
        &c,
        format!("{web}/signin/extend"),
        &[("csrf", &csrf), ("next", "https://evil.example/")],
    )
    .await;
    assert!(
        page.contains("Du er stadig logget ind.") && page.contains("Det kan du booke"),
        "{page}"
    );
    // Not signed in: nothing to extend.
    let other = browser();
    let (_, signin) = get(&other, format!("{web}/signin")).await;
    let csrf = input_value(&signin, "csrf");
    let (_, page) = post(&other, format!("{web}/signin/extend"), &[("csrf", &csrf)]).await;
    assert!(page.contains("Log ind for at fortsætte."), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_grants_and_revokes_a_power_of_attorney_and_helpers_are_held_to_it() {
    let stack = Stack::start().await;
    let web = &stack.web;
    // A citizen of the population register: refusals of helpers acting for her are
    // recorded in her audit log.
    let mother = cpr(crate::helpers::VACCINATED[1]);

    // A relative without a power of attorney is turned away at sign-in, with the reason.
    let h = browser();
    let helper = [
        ("role", "helper"),
        ("cpr", mother.as_str()),
        ("helper", "soen-jens"),
    ];
    let page = sign_in(&h, &stack, &helper).await;
    assert!(
        page.contains("Borgeren har ikke givet dig fuldmagt"),
        "{page}"
    );
    assert!(!page.contains("Du handler på vegne af"), "{page}");

    // The mother gives it on her own page.
    let c = browser();
    sign_in(&c, &stack, &[("role", "citizen"), ("cpr", &mother)]).await;
    let (status, page) = get(&c, format!("{web}/attorney")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Du har ikke givet nogen fuldmagt."), "{page}");
    let csrf = input_value(&page, "csrf");
    // A CPR number is not a helper id: the field is marked and points at the message.
    let (_, page) = post(
        &c,
        format!("{web}/attorney"),
        &[("csrf", &csrf), ("helper", &mother)],
    )
    .await;
    assert!(
        page.contains("id=\"form-error\"")
            && page.contains(
                "aria-describedby=\"attorney-helper-hint form-error\" aria-invalid=\"true\""
            ),
        "{page}"
    );
    let (_, page) = post(
        &c,
        format!("{web}/attorney"),
        &[("csrf", &csrf), ("helper", "soen-jens")],
    )
    .await;
    assert!(
        page.contains("Fuldmagten er givet.") && page.contains("<td>soen-jens</td>"),
        "{page}"
    );

    // Now the relative may act, and what they do is recorded.
    let h = browser();
    let page = sign_in(&h, &stack, &helper).await;
    assert!(page.contains("Du handler på vegne af"), "{page}");
    let (status, _) = get(&h, format!("{web}/bookings")).await;
    assert_eq!(status, 200);
    // A helper cannot see or change the grants.
    let (_, page) = get(&h, format!("{web}/attorney")).await;
    assert!(page.contains("Kun borgeren selv kan se og ændre"), "{page}");

    // Revoked: the relative's next request is refused.
    let (_, page) = post(
        &c,
        format!("{web}/attorney/revoke"),
        &[("csrf", &csrf), ("helper", "soen-jens")],
    )
    .await;
    assert!(page.contains("Fuldmagten er tilbagekaldt."), "{page}");
    let (status, page) = get(&h, format!("{web}/bookings")).await;
    assert_eq!(status, 403);
    assert!(
        page.contains("Borgeren har ikke givet dig fuldmagt"),
        "{page}"
    );
    // The citizen sees that the relative tried.
    let (_, audit) = get(&c, format!("{web}/audit")).await;
    assert!(
        audit.contains("Hjælper: soen-jens")
            && audit.contains("forsøgte at handle for dig og blev afvist"),
        "{audit}"
    );

    // A municipal worker: their own municipality's citizens only.
    let w = browser();
    let page = sign_in(
        &w,
        &stack,
        &[
            ("role", "helper"),
            ("cpr", &cpr(crate::helpers::VACCINATED[0])),
            ("helper", "kommune-101-anna"),
            ("municipality", "101"),
        ],
    )
    .await;
    assert!(
        page.contains("Du kan kun hjælpe borgere i din egen kommune"),
        "{page}"
    );
    let page = sign_in(
        &w,
        &stack,
        &[
            ("role", "helper"),
            ("cpr", &cpr(crate::helpers::IN_COPENHAGEN[2])),
            ("helper", "kommune-101-anna"),
            ("municipality", "abc"),
        ],
    )
    .await;
    assert!(page.contains("Kommunekoden er et tal"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authority_creates_and_changes_a_site_generates_times_and_sets_capacity() {
    let stack = Stack::start().await;
    let web = &stack.web;
    let a = browser();
    sign_in(&a, &stack, &[("role", "authority"), ("subject", "sst-1")]).await;
    let (_, console) = get(&a, format!("{web}/console")).await;
    assert!(
        console.contains("Fulde tider nu") && console.contains("data-od=\"full_slots\">0 &#x2f; "),
        "{console}"
    );
    assert!(console.contains("href=\"/console/sites\""));
    let (status, page) = get(&a, format!("{web}/console/sites?municipality=751")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Testcenter Aarhus"), "{page}");
    let csrf = input_value(&page, "csrf");
    let key = input_value(&page, "key");
    let mut site = vec![
        ("csrf", csrf.clone()),
        ("key", key.clone()),
        ("name", "Vaccinationscenter Valby".to_owned()),
        ("address", "Valby Langgade 1".to_owned()),
        ("postcode", "25".to_owned()),
        ("municipality", "101".to_owned()),
        ("lat", "55,66".to_owned()),
        ("lon", "12.51".to_owned()),
        ("campaign.pcr-test", "on".to_owned()),
    ];
    let form = |f: &Vec<(&'static str, String)>| -> Vec<(&'static str, String)> { f.clone() };
    let post_owned = |url: String, f: Vec<(&'static str, String)>| {
        let a = a.clone();
        async move {
            let r = a.post(url).form(&f).send().await.expect("post");
            (r.status().as_u16(), r.text().await.expect("body"))
        }
    };
    // A bad postcode: the field is marked and points at the message; nothing is made.
    let (_, page) = post_owned(format!("{web}/console/sites"), form(&site)).await;
    assert!(
        page.contains("Postnummeret er 4 cifre")
            && page.contains(
                "aria-describedby=\"site-postcode-hint form-error\" aria-invalid=\"true\""
            ),
        "{page}"
    );
    site[4].1 = "2500".to_owned();
    let (_, page) = post_owned(format!("{web}/console/sites"), form(&site)).await;
    assert!(
        page.contains("Stedet er oprettet.") && page.contains("<h1>Vaccinationscenter Valby</h1>"),
        "{page}"
    );
    let site_path = page
        .split("action=\"/console/sites/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the site's form")
        .trim_end_matches("/slots")
        .to_owned();
    let csrf = input_value(&page, "csrf");
    let key = uuid::Uuid::new_v4().to_string();

    // Generate times tomorrow, 08:00-09:00 every 20 minutes, 4 places each.
    let day = Stack::first_day();
    let plan = |closes: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("key", key.clone()),
            ("campaign", "pcr-test".to_owned()),
            ("from", day.clone()),
            ("to", day.clone()),
            ("opens", "08:00".to_owned()),
            ("closes", closes.to_owned()),
            ("interval", "20".to_owned()),
            ("capacity", "4".to_owned()),
        ]
    };
    let (_, page) = post_owned(
        format!("{web}/console/sites/{site_path}/slots"),
        plan("07:00"),
    )
    .await;
    assert!(page.contains("lukketiden skal ligge efter"), "{page}");
    assert!(page.contains("id=\"plan-closes\""));
    let (_, page) = post_owned(
        format!("{web}/console/sites/{site_path}/slots"),
        plan("09:00"),
    )
    .await;
    assert!(page.contains("Tiderne er lavet."), "{page}");
    assert_eq!(page.matches("/capacity\"").count(), 3, "{page}");
    let slot = page
        .split("action=\"/console/slots/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .expect("a slot")
        .to_owned();
    let capacity = |value: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("key", uuid::Uuid::new_v4().to_string()),
            ("capacity", value.to_owned()),
            ("site", site_path.clone()),
            ("campaign", "pcr-test".to_owned()),
            ("date", day.clone()),
        ]
    };
    let (_, page) = post_owned(
        format!("{web}/console/slots/{slot}/capacity"),
        capacity("many"),
    )
    .await;
    assert!(
        page.contains("Pladser er et helt tal")
            && page.contains(&format!("id=\"capacity-{slot}\" name=\"capacity\" value=\"4\" inputmode=\"numeric\" maxlength=\"5\" size=\"5\" aria-invalid=\"true\" aria-describedby=\"form-error\"")),
        "{page}"
    );
    let (_, page) = post_owned(
        format!("{web}/console/slots/{slot}/capacity"),
        capacity("9"),
    )
    .await;
    assert!(
        page.contains("Kapaciteten er ændret.")
            && page.contains(&format!(
                "id=\"capacity-{slot}\" name=\"capacity\" value=\"9\""
            )),
        "{page}"
    );

    // Change the site: a new name, and it offers the first vaccination dose too.
    let mut changed = site.clone();
    changed[1].1 = uuid::Uuid::new_v4().to_string();
    changed[2].1 = "Vaccinationscenter Valby Nord".to_owned();
    changed.push(("campaign.covid-dose-1", "on".to_owned()));
    let (_, page) = post_owned(format!("{web}/console/sites/{site_path}"), changed).await;
    assert!(
        page.contains("Stedet er ændret.")
            && page.contains("<h1>Vaccinationscenter Valby Nord</h1>"),
        "{page}"
    );
    assert!(page.contains("id=\"site-campaign-covid-dose-1\" name=\"campaign.covid-dose-1\" value=\"on\" checked disabled"), "{page}");
    // Citizens cannot reach the console's pages.
    let c = browser();
    sign_in(&c, &stack, &[("role", "citizen"), ("cpr", &cpr(81))]).await;
    let (status, _) = get(&c, format!("{web}/console/sites")).await;
    assert_eq!(status, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authority_records_a_paper_power_of_attorney_and_its_end() {
    let stack = Stack::start().await;
    let web = &stack.web;
    let father = cpr(81);
    let daughter = [
        ("role", "helper"),
        ("cpr", father.as_str()),
        ("helper", "datter-anna"),
    ];
    let page = sign_in(&browser(), &stack, &daughter).await;
    assert!(
        page.contains("Borgeren har ikke givet dig fuldmagt"),
        "{page}"
    );

    let a = browser();
    sign_in(&a, &stack, &[("role", "authority"), ("subject", "sst-1")]).await;
    let (_, console) = get(&a, format!("{web}/console")).await;
    assert!(console.contains("href=\"/console/attorney\""), "{console}");
    let (status, page) = get(&a, format!("{web}/console/attorney")).await;
    assert_eq!(status, 200);
    let csrf = input_value(&page, "csrf");
    let send = |cpr: &str, helper: &str, action: &str| {
        let form = [
            ("csrf", csrf.clone()),
            ("cpr", cpr.to_owned()),
            ("helper", helper.to_owned()),
            ("action", action.to_owned()),
        ];
        let a = a.clone();
        let url = format!("{web}/console/attorney");
        async move {
            let r = a.post(url).form(&form).send().await.expect("post");
            r.text().await.expect("body")
        }
    };
    // Each bad field is marked and points at the message; nothing is recorded.
    let page = send("320170-1234", "datter-anna", "record").await;
    assert!(
        page.contains("CPR-nummeret er ikke gyldigt")
            && page
                .contains("aria-describedby=\"paper-cpr-hint form-error\" aria-invalid=\"true\""),
        "{page}"
    );
    let page = send(&father, &father, "record").await;
    assert!(
        page.contains("aria-describedby=\"paper-helper-hint form-error\" aria-invalid=\"true\""),
        "{page}"
    );
    let page = send(&father, "datter-anna", "").await;
    assert!(
        page.contains("Vælg at registrere eller at afslutte"),
        "{page}"
    );
    let page = send(&father, "datter-anna", "end").await;
    assert!(page.contains("Der var ingen gældende fuldmagt"), "{page}");

    let page = send(
        &format!("{}-{}", &father[..6], &father[6..]),
        "datter-anna",
        "record",
    )
    .await;
    assert!(page.contains("Fuldmagten er registreret."), "{page}");
    let page = send(&father, "datter-anna", "record").await;
    assert!(
        page.contains("Fuldmagten var allerede registreret."),
        "{page}"
    );

    // The daughter may act now; the father sees who recorded it.
    let page = sign_in(&browser(), &stack, &daughter).await;
    assert!(page.contains("Du handler på vegne af"), "{page}");
    let c = browser();
    sign_in(&c, &stack, &[("role", "citizen"), ("cpr", &father)]).await;
    let (_, page) = get(&c, format!("{web}/attorney")).await;
    assert!(
        page.contains("<td>datter-anna</td>") && page.contains("myndigheden (på papir)"),
        "{page}"
    );
    let (_, audit) = get(&c, format!("{web}/audit")).await;
    assert!(audit.contains("registrerede en fuldmagt"), "{audit}");

    let page = send(&father, "datter-anna", "end").await;
    assert!(page.contains("Fuldmagten er afsluttet."), "{page}");
    let page = sign_in(&browser(), &stack, &daughter).await;
    assert!(
        page.contains("Borgeren har ikke givet dig fuldmagt"),
        "{page}"
    );

    // Only the authority has the page.
    let (status, page) = get(&c, format!("{web}/console/attorney")).await;
    assert_eq!(status, 403, "{page}");
    assert!(!page.contains("name=\"helper\""), "{page}");
}

/// Refreshes the queue page (each showing `waiting`, or the opening before it) until it
/// sends the person on; where it sent them, and that page.
async fn wait_for_turn(c: &reqwest::Client, web: &str, waiting: &str) -> (String, String) {
    for _ in 0..160 {
        let r = c.get(format!("{web}/book/queue")).send().await.unwrap();
        let landed = r.url().path().to_owned();
        let body = r.text().await.unwrap();
        if landed != "/book/queue" {
            return (landed, body);
        }
        assert!(
            body.contains(waiting) || body.contains("Foran dig i køen:"),
            "{body}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    panic!("not admitted within 40 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_an_opening_is_gated_a_citizen_waits_in_the_queue_then_books() {
    let stack = Stack::start().await;
    let web = &stack.web;
    // The opening: from now on holds go through the room, one admission a second.
    let opens = chrono::Utc::now() - chrono::Duration::seconds(1);
    stack
        .api(
            reqwest::Method::POST,
            "/v1/waiting-rooms",
            Some(serde_json::json!({"name": "pcr-opening", "opens_at": opens,
                "admissions_per_second": 1, "gate_holds": true})),
        )
        .await;
    let c = browser();
    sign_in(
        &c,
        &stack,
        &[("role", "citizen"), ("cpr", &cpr(12)), ("name", "Bo")],
    )
    .await;
    let day = Stack::first_day();
    let site = stack.sites[0].to_string();
    let (_, page) = get(&c, format!("{web}/book/pcr-test/sites/{site}?date={day}")).await;
    let slots = slot_ids(&page);
    let csrf = input_value(&page, "csrf");
    let slot = slots[0].to_string();
    let form = [
        ("csrf", csrf.as_str()),
        ("campaign", "pcr-test"),
        ("site", site.as_str()),
        ("date", day.as_str()),
        ("slot", slot.as_str()),
    ];

    // The hold is refused for want of admission: the person lands in the queue.
    let (status, page) = post(&c, format!("{web}/book/hold"), &form).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<h1>Venteværelse</h1>"), "{page}");
    assert!(page.contains("http-equiv=\"refresh\""), "{page}");
    assert_eq!(stack.slot(slots[0]).await, (0, 0), "nothing held");

    // Refreshing keeps the place; at the person's turn the page sends them back to the
    // day they were booking, and the hold goes through with the admission.
    let (landed, page) = wait_for_turn(&c, web, "Foran dig i køen:").await;
    assert_eq!(landed, format!("/book/pcr-test/sites/{site}"));
    assert!(page.contains("Det er din tur. Vælg din tid nu."), "{page}");
    let (_, page) = post(&c, format!("{web}/book/hold"), &form).await;
    assert!(page.contains("Bekræft din tid"), "{page}");
    assert_eq!(stack.slot(slots[0]).await, (0, 1));
    let (_, receipt) = post(&c, format!("{web}/book/confirm"), &[("csrf", &csrf)]).await;
    assert!(receipt.contains("Din tid er booket."), "{receipt}");

    // Someone else, with no admission, still queues; the queue page without a place
    // goes back to booking.
    let other = browser();
    sign_in(
        &other,
        &stack,
        &[("role", "citizen"), ("cpr", &cpr(13)), ("name", "Eva")],
    )
    .await;
    let (_, page) = get(&other, format!("{web}/book/queue")).await;
    assert!(!page.contains("<h1>Venteværelse</h1>"), "{page}");
    let (_, place) = get(&other, format!("{web}/book/queue/place.json")).await;
    assert_eq!(place, r#"{"state":"none"}"#);
    let (_, page) = get(
        &other,
        format!("{web}/book/pcr-test/sites/{site}?date={day}"),
    )
    .await;
    let csrf = input_value(&page, "csrf");
    let mut form = form;
    form[0] = ("csrf", csrf.as_str());
    let (_, page) = post(&other, format!("{web}/book/hold"), &form).await;
    assert!(page.contains("<h1>Venteværelse</h1>"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn before_an_opening_the_booking_page_offers_the_waiting_room_and_keeps_the_turn() {
    let stack = Stack::start().await;
    let web = &stack.web;
    let c = browser();
    sign_in(
        &c,
        &stack,
        &[("role", "citizen"), ("cpr", &cpr(14)), ("name", "Ib")],
    )
    .await;
    let (_, page) = get(&c, format!("{web}/book")).await;
    assert!(
        !page.contains("/book/queue/join"),
        "no room, no offer: {page}"
    );

    // Far enough ahead for the steps before joining on a busy machine.
    let opens = chrono::Utc::now() + chrono::Duration::seconds(8);
    stack
        .api(
            reqwest::Method::POST,
            "/v1/waiting-rooms",
            Some(
                serde_json::json!({"name": "dose-opening", "opens_at": opens,
                "admissions_per_second": 5, "gate_holds": true}),
            ),
        )
        .await;
    let (_, page) = get(&c, format!("{web}/book")).await;
    assert!(page.contains("Ny booking åbner"), "{page}");
    let csrf = input_value(&page, "csrf");
    let (status, page) = post(
        &c,
        format!("{web}/book/queue/join"),
        &[("csrf", &csrf), ("room", "dose-opening")],
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Bookingen åbner"), "{page}");
    assert!(page.contains("tilfældig plads"), "{page}");
    // What the page's script polls: the same place, in JSON.
    let place: serde_json::Value = c
        .get(format!("{web}/book/queue/place.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(place["state"], "before_opening", "{place}");
    // The booking page now points at the place instead of offering a new one.
    let (_, page) = get(&c, format!("{web}/book")).await;
    assert!(page.contains("Se din plads i køen") && !page.contains("/book/queue/join"));

    // After the opening the shuffled place comes up, and the turn sends the person back
    // to choose a time.
    let (landed, page) = wait_for_turn(&c, web, "Bookingen åbner").await;
    assert_eq!(landed, "/book");
    assert!(page.contains("Det er din tur. Vælg din tid nu."), "{page}");
    assert!(!page.contains("/book/queue/join"), "admitted: {page}");

    let day = Stack::first_day();
    let site = stack.sites[0].to_string();
    let (_, page) = get(&c, format!("{web}/book/pcr-test/sites/{site}?date={day}")).await;
    let slot = slot_ids(&page)[0].to_string();
    let csrf = input_value(&page, "csrf");
    let (_, page) = post(
        &c,
        format!("{web}/book/hold"),
        &[
            ("csrf", csrf.as_str()),
            ("campaign", "pcr-test"),
            ("site", site.as_str()),
            ("date", day.as_str()),
            ("slot", slot.as_str()),
        ],
    )
    .await;
    assert!(page.contains("Bekræft din tid"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_booking_services_limit_per_address_counts_browsers_not_the_front_end() {
    // The front end behind a proxy on 127.0.0.1 that names each browser; the booking
    // service believes the front end (also 127.0.0.1) about whom it calls for.
    let stack = Stack::start_configured(
        |b| {
            b.limits.per_address = 12;
            b.limits.window_seconds = 60;
            b.limits.trusted_proxies = vec!["127.0.0.1".into()];
            // The test's own set-up calls come from 127.0.0.1 and do not count.
            b.limits.address_allow = vec!["127.0.0.1".into()];
        },
        |w| w.trusted_proxies = vec!["127.0.0.1".into()],
    )
    .await;
    let web = &stack.web;
    let browser_at = |ip: &str| {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-forwarded-for", ip.parse().unwrap());
        reqwest::Client::builder()
            .cookie_store(true)
            .default_headers(headers)
            .build()
            .unwrap()
    };
    let busy = "Der er travlt lige nu.";
    let day = Stack::first_day();
    let site = stack.sites[0];
    let day_page = format!("{web}/book/pcr-test/sites/{site}?date={day}");

    let greedy = browser_at("198.51.100.1");
    sign_in(&greedy, &stack, &[("role", "citizen"), ("cpr", &cpr(16))]).await;
    let mut limited = false;
    for _ in 0..12 {
        let (_, page) = get(&greedy, day_page.clone()).await;
        if page.contains(busy) {
            limited = true;
            break;
        }
    }
    assert!(limited, "one browser runs into the limit");

    // Another browser behind the same front end has its own window.
    let other = browser_at("198.51.100.2");
    sign_in(&other, &stack, &[("role", "citizen"), ("cpr", &cpr(17))]).await;
    let (status, page) = get(&other, day_page).await;
    assert_eq!(status, 200);
    assert!(
        !page.contains(busy) && page.contains("Ledige tider"),
        "{page}"
    );
}
