//! The two languages of the pages: Danish (the default) and English. Every sentence is
//! one row with both, so neither language can lack a sentence the other has.

use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The cookie that remembers the chosen language.
pub const COOKIE: &str = "lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Da,
    En,
}

impl Lang {
    pub fn from_code(code: &str) -> Option<Lang> {
        match code {
            "da" => Some(Lang::Da),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn from_cookie(value: Option<&str>) -> Lang {
        value.and_then(Lang::from_code).unwrap_or_default()
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Da => "da",
            Lang::En => "en",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Da => Lang::En,
            Lang::En => Lang::Da,
        }
    }

    /// The language's name in itself, for the switch link.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Da => "Dansk",
            Lang::En => "English",
        }
    }
}

/// (key, Danish, English).
const MESSAGES: &[(&str, &str, &str)] = &[
    ("site_name", "Booking og coronapas", "Booking and COVID pass"),
    ("skip_to_content", "Gå til indholdet", "Skip to content"),
    ("nav_label", "Hovedmenu", "Main menu"),
    ("nav_home", "Forside", "Home"),
    ("nav_book", "Book tid", "Book a time"),
    ("nav_bookings", "Mine bookinger", "My bookings"),
    ("nav_audit", "Hvem har set mine data", "Who has looked at my data"),
    ("sign_in", "Log ind", "Sign in"),
    ("sign_out", "Log ud", "Sign out"),
    ("signed_in", "Du er logget ind.", "You are signed in."),
    ("signed_out", "Du er logget ud.", "You are signed out."),
    ("footer", "Sundhedsmyndighedernes booking af test og vaccination. Har du brug for hjælp, kan borgerservice i din kommune booke for dig.", "The health authorities' booking of tests and vaccinations. If you need help, citizen service in your municipality can book for you."),
    ("acting_for", "Du handler på vegne af", "You are acting on behalf of"),
    ("helper_as", "som hjælper", "as helper"),
    ("home_title", "Book test og vaccination", "Book a test or vaccination"),
    ("home_intro", "Log ind for at se, hvad du kan booke, finde et sted og en tid, og se dine bookinger.", "Sign in to see what you can book, find a place and a time, and see your bookings."),
    ("hello", "Hej", "Hello"),
    ("your_cpr", "Dit CPR-nummer", "Your CPR number"),
    ("cpr_of_citizen", "Borgerens CPR-nummer", "The citizen's CPR number"),
    ("authority_signed_in", "Du er logget ind som sundhedsmyndighed:", "You are signed in as the health authority:"),
    ("eligible_heading", "Det kan du booke", "What you can book"),
    ("nothing_eligible", "Der er ikke noget, du kan booke lige nu. Du får besked i Digital Post, når det bliver din tur.", "There is nothing you can book right now. You will get a letter in Digital Post when it is your turn."),
    ("invited", "Du er inviteret", "You are invited"),
    ("booked_for", "Du har en tid", "You have a time on"),
    ("see_booking", "Se bookingen", "See the booking"),
    ("book_this", "Book tid", "Book a time"),
    ("signin_title", "Log ind", "Sign in"),
    ("dev_only", "Kun til udvikling.", "Development only."),
    ("dev_only_text", "Denne side udsteder adgang uden MitID. I drift logger man ind med MitID.", "This page grants access without MitID. In production people sign in with MitID."),
    ("signin_as", "Jeg logger ind som", "I am signing in as"),
    ("role_citizen", "Borger", "Citizen"),
    ("role_helper", "Hjælper (borgerservice eller fuldmagt)", "Helper (citizen service or power of attorney)"),
    ("role_authority", "Sundhedsmyndighed", "Health authority"),
    ("cpr_label", "CPR-nummer", "CPR number"),
    ("cpr_hint", "10 cifre, fx 010170-1234. En hjælper skriver CPR-nummeret på den borger, der hjælpes.", "10 digits, e.g. 010170-1234. A helper enters the CPR number of the citizen they help."),
    ("helper_label", "Dit hjælper-id", "Your helper id"),
    ("municipality_code_label", "Kommunekode (kun kommunale medarbejdere)", "Municipality code (municipal staff only)"),
    ("municipality_code_hint", "Fx 101 for København. Lad feltet stå tomt, hvis du er pårørende med fuldmagt.", "E.g. 101 for Copenhagen. Leave it empty if you are a relative with power of attorney."),
    ("od_full_slots", "Fulde tider nu (fulde / åbne tider fremover)", "Full times now (full / open times ahead)"),
    ("sites_manage_link", "Steder, tider og kapacitet", "Sites, times and capacity"),
    ("console_sites_title", "Steder", "Sites"),
    ("console_site_title", "Sted", "Site"),
    ("site_name_label", "Navn", "Name"),
    ("site_address_label", "Adresse", "Address"),
    ("site_postcode_label", "Postnummer", "Postcode"),
    ("site_postcode_hint", "4 cifre, fx 8000.", "4 digits, e.g. 8000."),
    ("site_lat_label", "Breddegrad", "Latitude"),
    ("site_lon_label", "Længdegrad", "Longitude"),
    ("site_location_hint", "I grader, fx 56,16 og 10,20 for Aarhus.", "In degrees, e.g. 56.16 and 10.20 for Aarhus."),
    ("site_campaigns_label", "Tilbyder", "Offers"),
    ("site_campaigns_hint", "Et tilbud kan ikke fjernes her; luk i stedet dets tider.", "An offer cannot be removed here; close its times instead."),
    ("no_sites_here", "Ingen steder her.", "No sites here."),
    ("new_site", "Nyt sted", "New site"),
    ("create_site", "Opret stedet", "Create the site"),
    ("edit_site", "Ret stedet", "Change the site"),
    ("save_site", "Gem ændringerne", "Save the changes"),
    ("site_slots_heading", "Tider og kapacitet", "Times and capacity"),
    ("date_label", "Dato", "Date"),
    ("time_label", "Tid", "Time"),
    ("slot_taken", "Booket eller holdt", "Booked or held"),
    ("slot_capacity", "Pladser", "Places"),
    ("change_capacity", "Skift", "Change"),
    ("no_slots_that_day", "Ingen tider den dag.", "No times that day."),
    ("plan_heading", "Lav tider", "Generate times"),
    ("plan_intro", "Tider, der findes i forvejen, bliver som de er.", "Times that exist already stay as they are."),
    ("plan_from", "Første dag", "First day"),
    ("plan_to", "Sidste dag", "Last day"),
    ("plan_opens", "Åbner", "Opens"),
    ("plan_closes", "Lukker", "Closes"),
    ("plan_interval", "Minutter pr. tid", "Minutes per time"),
    ("plan_interval_hint", "5 til 240.", "5 to 240."),
    ("plan_capacity", "Pladser pr. tid", "Places per time"),
    ("create_slots", "Lav tiderne", "Generate the times"),
    ("site_created", "Stedet er oprettet.", "The site is created."),
    ("site_updated", "Stedet er ændret.", "The site is changed."),
    ("slots_created", "Tiderne er lavet.", "The times are generated."),
    ("slots_existed", "Tiderne fandtes allerede; intet er ændret.", "The times existed already; nothing changed."),
    ("capacity_changed", "Kapaciteten er ændret.", "The capacity is changed."),
    ("err_site_name", "Skriv stedets navn (1 til 200 tegn).", "Enter the site's name (1 to 200 characters)."),
    ("err_site_address", "Skriv stedets adresse (1 til 200 tegn).", "Enter the site's address (1 to 200 characters)."),
    ("err_site_postcode", "Postnummeret er 4 cifre fra 0800 til 9999.", "The postcode is 4 digits from 0800 to 9999."),
    ("err_site_location", "Skriv breddegrad (-90 til 90) og længdegrad (-180 til 180) som tal.", "Enter latitude (-90 to 90) and longitude (-180 to 180) as numbers."),
    ("err_site_campaigns", "Vælg mindst ét tilbud.", "Choose at least one offer."),
    ("err_plan_dates", "Skriv første og sidste dag; den sidste må ikke ligge før den første.", "Enter the first and last day; the last may not be before the first."),
    ("err_plan_times", "Skriv åbne- og lukketid som TT:MM; lukketiden skal ligge efter åbnetiden.", "Enter opening and closing time as HH:MM; closing must be after opening."),
    ("err_plan_interval", "Minutter pr. tid skal være fra 5 til 240.", "Minutes per time must be from 5 to 240."),
    ("err_capacity_below_booked", "Kapaciteten kan ikke komme under det antal pladser, der allerede er booket.", "Capacity cannot go below the places already booked."),
    ("err_campaign_not_offered", "Stedet tilbyder ikke det. Ret stedet først.", "The site does not offer that. Change the site first."),
    ("err_capacity", "Pladser er et helt tal fra 0 til 10.000.", "Places is a whole number from 0 to 10,000."),
    ("oidc_intro", "Du logger ind med MitID hos identitetsudbyderen og kommer tilbage hertil bagefter.", "You sign in with MitID at the identity provider and come back here afterwards."),
    ("oidc_sign_in", "Log ind med MitID", "Sign in with MitID"),
    ("err_signin_failed", "Login blev ikke gennemført. Prøv at logge ind igen.", "The sign-in did not complete. Please sign in again."),
    ("err_switch_sign_in_again", "Log ud, og log ind igen for den anden borger.", "Sign out, and sign in again for the other citizen."),
    ("nav_attorney", "Fuldmagter", "Powers of attorney"),
    ("attorney_title", "Fuldmagter", "Powers of attorney"),
    ("attorney_intro", "Her bestemmer du, hvem der må booke tider og hente coronapas for dig. Alt, hvad en hjælper gør, kan du se under \"Hvem har set mine data\". Medarbejdere i din kommunes borgerservice kan altid hjælpe dig uden fuldmagt.", "Here you decide who may book times and fetch COVID passes for you. Everything a helper does shows under \"Who has looked at my data\". Staff at your municipality's citizen service can always help you without a power of attorney."),
    ("attorney_current", "Hvem må handle for mig", "Who may act for me"),
    ("attorney_none", "Du har ikke givet nogen fuldmagt.", "You have not given anyone power of attorney."),
    ("attorney_helper", "Hjælperens id", "The helper's id"),
    ("attorney_helper_hint", "Det id, hjælperen logger ind med, fx datter-anna. Spørg hjælperen.", "The id the helper signs in with, e.g. datter-anna. Ask the helper."),
    ("attorney_since", "Siden", "Since"),
    ("attorney_by", "Givet af", "Given by"),
    ("attorney_revoke", "Tilbagekald", "Revoke"),
    ("attorney_grant_heading", "Giv en fuldmagt", "Give power of attorney"),
    ("attorney_grant", "Giv fuldmagt", "Give power of attorney"),
    ("attorney_granted", "Fuldmagten er givet.", "Power of attorney given."),
    ("attorney_revoked", "Fuldmagten er tilbagekaldt.", "Power of attorney revoked."),
    ("granted_by_citizen", "dig", "you"),
    ("granted_by_authority", "myndigheden (på papir)", "the authority (on paper)"),
    ("granted_by_seed", "demodata", "demo data"),
    ("action_attorney_grant", "registrerede en fuldmagt", "recorded a power of attorney"),
    ("action_attorney_revoke", "tilbagekaldte en fuldmagt", "revoked a power of attorney"),
    ("helper_hint", "Kun for hjælpere, fx kommune-101-anna.", "Helpers only, e.g. kommune-101-anna."),
    ("subject_label", "Dit myndigheds-id", "Your authority id"),
    ("subject_hint", "Kun for sundhedsmyndigheden, fx sst-1.", "Health authority only, e.g. sst-1."),
    ("name_label", "Navn (valgfrit)", "Name (optional)"),
    ("book_title", "Book tid", "Book a time"),
    ("book_intro", "Vælg, hvad du vil booke.", "Choose what to book."),
    ("move", "Flyt tiden", "Move the time"),
    ("cancel", "Aflys", "Cancel"),
    ("sites_title", "Find et sted", "Find a place"),
    ("back_to_choices", "Tilbage til det, du kan booke", "Back to what you can book"),
    ("moving_note", "Du flytter en booking. Din nuværende tid beholdes, indtil du har bekræftet den nye.", "You are moving a booking. You keep your current time until you confirm the new one."),
    ("municipality_label", "Kommune", "Municipality"),
    ("municipality_any", "Vælg kommune", "Choose a municipality"),
    ("postcode_label", "Eller postnummer", "Or postcode"),
    ("postcode_hint", "4 cifre, fx 8000. Steder med postnummeret vises først, derefter de nærmeste.", "4 digits, e.g. 8000. Places with the postcode come first, then the nearest."),
    ("search", "Søg", "Search"),
    ("use_location", "Brug min placering", "Use my location"),
    ("locating", "Finder din placering …", "Finding your location …"),
    ("location_failed", "Din placering kunne ikke findes. Vælg en kommune eller skriv et postnummer.", "Your location could not be found. Choose a municipality or enter a postcode."),
    ("results_heading", "Steder", "Places"),
    ("free_places", "ledige pladser", "free places"),
    ("next_free", "første ledige tid", "first free time"),
    ("no_sites", "Der er ingen steder med ledige tider her. Prøv en anden kommune eller et andet postnummer.", "There are no places with free times here. Try another municipality or postcode."),
    ("back_to_sites", "Tilbage til stederne", "Back to the places"),
    ("days_label", "Dage", "Days"),
    ("day_title", "Vælg dag og tid", "Choose a day and time"),
    ("pick_day", "Vælg en dag", "Choose a day"),
    ("pick_time", "Ledige tider", "Free times on"),
    ("no_times", "Der er ingen ledige tider denne dag. Vælg en anden dag.", "There are no free times on this day. Choose another day."),
    ("hold_time", "Hold tiden til mig", "Hold this time for me"),
    ("hold_title", "Bekræft din tid", "Confirm your time"),
    ("hold_move_title", "Bekræft din nye tid", "Confirm your new time"),
    ("what", "Hvad", "What"),
    ("when", "Hvornår", "When"),
    ("where", "Hvor", "Where"),
    ("status", "Status", "Status"),
    ("held_until", "Tiden er holdt til dig til kl.", "The time is held for you until"),
    ("held_minutes_before", "Du har", "You have"),
    ("held_minutes_after", " til at bekræfte. Har du brug for mere tid, så vælg \"Giv mig mere tid\".", " to confirm. If you need more time, choose \"Give me more time\"."),
    ("minutes", "minutter", "minutes"),
    ("hold_warning", "Tiden er snart udløbet. Vælg \"Giv mig mere tid\", hvis du ikke er klar til at bekræfte.", "Your time is about to run out. Choose \"Give me more time\" if you are not ready to confirm."),
    ("js_left", "tilbage", "left"),
    ("js_expired", "Tiden er udløbet. Vælg en ny tid.", "The time has run out. Choose a new time."),
    ("extend", "Giv mig mere tid", "Give me more time"),
    ("extended", "Du har fået mere tid.", "You have been given more time."),
    ("extensions_left", "Gange du kan få mere tid", "Times you can get more time"),
    ("confirm", "Bekræft booking", "Confirm booking"),
    ("confirm_move", "Bekræft flytning", "Confirm move"),
    ("release", "Vælg en anden tid", "Choose another time"),
    ("released", "Tiden er givet fri igen.", "The time has been released."),
    ("hold_expired_text", "Tiden er ikke længere holdt til dig.", "The time is no longer held for you."),
    ("choose_again", "Vælg en tid igen", "Choose a time again"),
    ("seconds", "sekunder", "seconds"),
    ("queue_title", "Venteværelse", "Waiting room"),
    ("queue_intro", "Mange vil booke på én gang, så vi lukker ind i den rækkefølge, I står i køen. Du kan se din plads herunder; når det er din tur, kommer du selv videre til at vælge din tid.", "Many people want to book at once, so we let you in in the order you stand in the queue. Your place is shown below; when it is your turn, you go on to choose your time by yourself."),
    ("queue_opens", "Bookingen åbner", "Booking opens"),
    ("queue_shuffle", "Alle, der er her før åbningen, får en tilfældig plads i køen, når den åbner. Du mister ikke noget ved at komme lidt senere end de første.", "Everyone who is here before the opening gets a random place in the queue when it opens. You lose nothing by coming a little later than the first."),
    ("queue_ahead", "Foran dig i køen:", "Ahead of you in the queue:"),
    ("queue_wait", "Forventet ventetid: omkring", "Expected wait: about"),
    ("queue_wait_unknown", "Ventetiden kan ikke anslås lige nu.", "The wait cannot be estimated right now."),
    ("queue_refreshes", "Siden opdaterer sig selv hvert", "This page updates itself every"),
    ("queue_keep_open", "Lad den være åben: uden opdatering mister du din plads efter", "Keep it open: without an update you lose your place after"),
    ("queue_update_now", "Opdatér nu", "Update now"),
    ("queue_not_updated", "Din plads kunne ikke opdateres lige nu. Du har den stadig; siden prøver igen.", "Your place could not be updated just now. You still have it; the page will try again."),
    ("queue_lapsed", "Din plads i køen er udløbet, fordi siden ikke blev opdateret i tide, eller fordi din tur er gået.", "Your place in the queue has lapsed because the page was not updated in time, or your turn has passed."),
    ("queue_rejoin", "Stil dig i køen igen", "Join the queue again"),
    ("queue_room_soon", "Ny booking åbner", "New booking opens"),
    ("queue_room_soon_text", "Stil dig i venteværelset allerede nu: alle, der står der før åbningen, får en tilfældig plads i køen, når den åbner. Så er det ikke den hurtigste, der kommer først.", "Join the waiting room now: everyone who is there before the opening gets a random place in the queue when it opens. The fastest click does not come first."),
    ("queue_room_open", "Bookingen går gennem et venteværelse", "Booking goes through a waiting room"),
    ("queue_room_open_text", "Mange booker lige nu. Stil dig i køen; når det er din tur, vælger du din tid.", "Many people are booking right now. Join the queue; when it is your turn, you choose your time."),
    ("queue_join_now", "Stil dig i venteværelset", "Join the waiting room"),
    ("queue_see_place", "Se din plads i køen", "See your place in the queue"),
    ("queue_your_turn", "Det er din tur. Vælg din tid nu.", "It is your turn. Choose your time now."),
    ("booked", "Din tid er booket.", "Your time is booked."),
    ("moved", "Din tid er flyttet.", "Your time has been moved."),
    ("cancelled", "Din booking er aflyst.", "Your booking is cancelled."),
    ("receipt_title", "Kvittering", "Receipt"),
    ("booking_number", "Bookingnummer", "Booking number"),
    ("booked_by", "Booket af", "Booked by"),
    ("booked_by_helper", "Booket af en hjælper på dine vegne", "Booked by a helper on your behalf"),
    ("receipt_letter", "Du får også en bekræftelse i Digital Post (eller med brev).", "You will also get a confirmation in Digital Post (or by letter)."),
    ("bookings_title", "Mine bookinger", "My bookings"),
    ("upcoming", "Kommende", "Upcoming"),
    ("no_upcoming", "Du har ingen kommende tider.", "You have no upcoming times."),
    ("history", "Tidligere og ændrede", "Earlier and changed"),
    ("status_active", "Booket", "Booked"),
    ("status_cancelled", "Aflyst", "Cancelled"),
    ("status_moved", "Flyttet", "Moved"),
    ("status_done", "Gennemført", "Done"),
    ("cancel_title", "Aflys booking", "Cancel booking"),
    ("cancel_question", "Vil du aflyse denne tid? Pladsen gives til en anden.", "Do you want to cancel this time? The place goes to someone else."),
    ("cancel_confirm", "Ja, aflys tiden", "Yes, cancel the time"),
    ("keep_booking", "Nej, behold tiden", "No, keep the time"),
    ("audit_title", "Hvem har set mine data", "Who has looked at my data"),
    ("audit_intro", "Her står hver gang en anden end dig har set eller ændret dine oplysninger: hjælpere, myndigheder og test- og vaccinationssteder.", "Every time someone other than you looked at or changed your data is listed here: helpers, authorities, and test and vaccination sites."),
    ("audit_none", "Ingen andre har set dine oplysninger.", "Nobody else has looked at your data."),
    ("audit_who", "Hvem", "Who"),
    ("audit_what", "Hvad", "What"),
    ("actor_helper", "Hjælper", "Helper"),
    ("actor_authority", "Sundhedsmyndighed", "Health authority"),
    ("actor_site", "Test- eller vaccinationssted", "Test or vaccination site"),
    ("action_booking_create", "bookede en tid", "booked a time"),
    ("action_booking_cancel", "aflyste en tid", "cancelled a time"),
    ("action_booking_move", "flyttede en tid", "moved a time"),
    ("action_bookings_read", "så dine bookinger", "looked at your bookings"),
    ("action_helper_refused", "forsøgte at handle for dig og blev afvist", "tried to act for you and was refused"),
    ("nav_passes", "Mine pas og resultater", "My passes and results"),
    ("passes_title", "Mine pas og resultater", "My passes and results"),
    ("passes_intro", "Her er dine testresultater og vaccinationer fra de nationale registre, og de coronapas, de giver.", "Here are your test results and vaccinations from the national registers, and the COVID passes they give."),
    ("no_passes", "Registrene har ikke noget, der giver et coronapas lige nu.", "The registers hold nothing that gives a COVID pass right now."),
    ("pass_vaccination", "Vaccinationspas", "Vaccination pass"),
    ("pass_test", "Testpas", "Test pass"),
    ("pass_recovery", "Pas efter overstået covid-19", "Recovery pass"),
    ("show_pass", "Vis pas", "Show pass"),
    ("issued_heading", "Udstedte pas", "Passes issued"),
    ("issued_at", "Udstedt", "Issued"),
    ("valid_until", "Gyldigt til", "Valid until"),
    ("revoked", "tilbagekaldt", "revoked"),
    ("pass_title", "Coronapas", "COVID pass"),
    ("back_to_passes", "Tilbage til mine pas", "Back to my passes"),
    ("qr_alt", "QR-kode, der skal scannes:", "QR code to be scanned:"),
    ("pass_holder", "Indehaver", "Holder"),
    ("uvci", "Certifikat-id", "Certificate id"),
    ("pass_domestic-1", "Dansk coronapas, kun gyldighed", "Danish COVID pass, validity only"),
    ("pass_domestic-2", "Dansk coronapas med navn og fødselsdato", "Danish COVID pass with name and birth date"),
    ("fact_based_on", "Ud fra", "Based on"),
    ("domestic_note", "Det danske coronapas viser kun, hvornår det gælder til (og på niveau 2 navn og fødselsdato). Tag billedlegitimation med.", "The Danish COVID pass only shows when it is valid until (and at level 2 name and birth date). Bring photo ID."),
    ("pdf_heading", "Passet på papir", "The pass on paper"),
    ("pdf_hint", "Hent passet som PDF og udskriv det, hvis du ikke har en smartphone. QR-koden er stor nok til at blive scannet fra papir.", "Download the pass as a PDF and print it if you have no smartphone. The QR code is large enough to be scanned from paper."),
    ("pdf_da", "Hent PDF til udskrift (dansk)", "Download PDF to print (Danish)"),
    ("pdf_en", "Hent PDF til udskrift (engelsk)", "Download PDF to print (English)"),
    ("pdf_both", "Hent PDF til udskrift (dansk og engelsk)", "Download PDF to print (Danish and English)"),
    ("fact_dose", "Dosis", "Dose"),
    ("fact_date", "Dato", "Date"),
    ("fact_product", "Vaccine", "Vaccine"),
    ("fact_test_type", "Test", "Test"),
    ("fact_result", "Resultat", "Result"),
    ("fact_sample_time", "Prøve taget", "Sample taken"),
    ("fact_centre", "Teststed", "Test centre"),
    ("fact_first_positive", "Første positive test", "First positive test"),
    ("code_not_detected", "negativ (ikke påvist)", "negative (not detected)"),
    ("code_detected", "positiv (påvist)", "positive (detected)"),
    ("code_pcr", "PCR-test", "PCR test"),
    ("code_rapid", "Antigen-hurtigtest", "Rapid antigen test"),
    ("code_comirnaty", "Comirnaty (BioNTech/Pfizer)", "Comirnaty (BioNTech/Pfizer)"),
    ("code_spikevax", "Spikevax (Moderna)", "Spikevax (Moderna)"),
    ("code_vaxzevria", "Vaxzevria (AstraZeneca)", "Vaxzevria (AstraZeneca)"),
    ("code_jcovden", "Jcovden (Janssen)", "Jcovden (Janssen)"),
    ("action_passes_list", "så dine pas og resultater", "looked at your passes and results"),
    ("action_passes_issue", "udstedte et pas", "issued a pass"),
    ("action_passes_read", "så et pas", "looked at a pass"),
    ("nav_console", "Konsol", "Console"),
    ("console_title", "Sundhedsmyndighedens konsol", "Health authority console"),
    ("campaigns_heading", "Kampagner", "Campaigns"),
    ("kind_test", "test", "test"),
    ("kind_vaccination", "vaccination", "vaccination"),
    ("access_open", "åben for alle", "open to all"),
    ("access_invitation", "kun inviterede", "by invitation"),
    ("code", "Kode", "Code"),
    ("name", "Navn", "Name"),
    ("kind", "Art", "Kind"),
    ("access", "Adgang", "Access"),
    ("cohorts_heading", "Målgrupper", "Cohorts"),
    ("cohort_count", "Antal borgere nu", "Citizens now"),
    ("new_cohort", "Ny målgruppe", "New cohort"),
    ("cohort_name", "Navn på målgruppen", "Cohort name"),
    ("age_min", "Mindst så gammel (år)", "At least this old (years)"),
    ("age_max", "Højst så gammel (år)", "At most this old (years)"),
    ("municipality_all", "Alle kommuner", "All municipalities"),
    ("priority_group", "Prioritetsgruppe (valgfri), fx care-home", "Priority group (optional), e.g. care-home"),
    ("preview_count", "Vis antal", "Preview count"),
    ("create_cohort", "Opret målgruppe", "Create cohort"),
    ("preview_result", "Kriterierne udvælger nu så mange borgere:", "The criteria select this many citizens now:"),
    ("cohort_created", "Målgruppen er oprettet.", "The cohort is created."),
    ("waves_heading", "Bølger", "Waves"),
    ("no_waves", "Ingen bølger endnu.", "No waves yet."),
    ("open_wave", "Åbn en bølge", "Open a wave"),
    ("cohort", "Målgruppe", "Cohort"),
    ("campaign", "Kampagne", "Campaign"),
    ("choose", "Vælg", "Choose"),
    ("when_open", "Hvornår", "When"),
    ("open_now", "Nu", "Now"),
    ("open_later", "Senere, kl.", "Later, at"),
    ("opens_at", "Åbner (dansk tid)", "Opens (Danish time)"),
    ("wave_room", "Luk ind gennem et venteværelse ved åbningen", "Let people in through a waiting room at the opening"),
    ("wave_room_hint", "Til store bølger: fra åbningen står alle, der vil booke denne kampagne, i kø (de, der kommer før åbningen, i tilfældig rækkefølge), og der lukkes ind i det tempo, bookingsystemet kan klare. Venteværelset lukker med bølgen.", "For large waves: from the opening, everyone who wants to book this campaign queues (those who come before the opening in random order), and people are let in at the pace the booking system can take. The waiting room closes with the wave."),
    ("err_wave_room_not_made", "Bølgen er oprettet, men venteværelset kunne ikke oprettes: de inviterede kan booke uden kø.", "The wave is made, but the waiting room could not be: those invited can book without a queue."),
    ("open_wave_button", "Åbn eller planlæg bølgen", "Open or schedule the wave"),
    ("flash_wave_opened", "Bølgen er åbnet; invitationerne er på vej.", "The wave is open; the invitations are on their way."),
    ("flash_wave_scheduled", "Bølgen er planlagt.", "The wave is scheduled."),
    ("flash_wave_closed", "Bølgen er lukket.", "The wave is closed."),
    ("wave_scheduled", "planlagt", "scheduled"),
    ("wave_open", "åben", "open"),
    ("wave_closed", "lukket", "closed"),
    ("wave_title", "Bølge", "Wave"),
    ("wave_state", "Status", "State"),
    ("close_wave", "Luk bølgen", "Close the wave"),
    ("live_heading", "Lige nu", "Right now"),
    ("live_intro", "Invitationer, breve pr. kanal og deres levering, og bookinger i bølgen.", "Invitations, letters per channel and their delivery, and bookings in the wave."),
    ("updated_at", "Opdateret kl.", "Updated at"),
    ("refresh", "Opdater", "Refresh"),
    ("pause_live", "Stop automatisk opdatering", "Stop live updates"),
    ("resume_live", "Start automatisk opdatering", "Start live updates"),
    ("back_to_console", "Tilbage til konsollen", "Back to the console"),
    ("paper_attorney_title", "Fuldmagter på papir", "Powers of attorney on paper"),
    ("paper_attorney_intro", "En borger, der ikke selv kan bruge sine sider, kan give en pårørende fuldmagt på en papirblanket. Registrér den her, når blanketten er modtaget og tjekket, eller registrér, at den er ophørt. Borgeren kan se begge dele under \"Hvem har set mine data\".", "A citizen who cannot use their own pages can give a relative power of attorney on a paper form. Record it here once the form has been received and checked, or record that it has ended. The citizen sees both under \"Who has looked at my data\"."),
    ("paper_attorney_heading", "Registrér eller afslut en fuldmagt", "Record or end a power of attorney"),
    ("paper_attorney_cpr", "Borgerens CPR-nummer", "The citizen's CPR number"),
    ("paper_attorney_cpr_hint", "Den borger, der har givet fuldmagten. 10 cifre, fx 010170-1234.", "The citizen who gave the power of attorney. 10 digits, e.g. 010170-1234."),
    ("paper_attorney_helper_hint", "Det id, hjælperen logger ind med, som det står på blanketten, fx datter-anna.", "The id the helper signs in with, as written on the form, e.g. datter-anna."),
    ("paper_attorney_record", "Registrér fuldmagt", "Record power of attorney"),
    ("paper_attorney_end", "Afslut fuldmagt", "End power of attorney"),
    ("paper_attorney_recorded", "Fuldmagten er registreret.", "The power of attorney is recorded."),
    ("paper_attorney_stood", "Fuldmagten var allerede registreret.", "The power of attorney was recorded already."),
    ("paper_attorney_ended", "Fuldmagten er afsluttet.", "The power of attorney has ended."),
    ("paper_attorney_none", "Der var ingen gældende fuldmagt til den hjælper.", "There was no power of attorney in force for that helper."),
    ("err_paper_attorney_action", "Vælg at registrere eller at afslutte fuldmagten.", "Choose to record or to end the power of attorney."),
    ("paper_attorney_link_intro", "Fuldmagter givet på papirblanket registreres og afsluttes på en side for sig.", "Powers of attorney given on a paper form are recorded and ended on a page of their own."),
    ("paper_attorney_link", "Fuldmagter på papir", "Powers of attorney on paper"),
    ("fig_invited", "Inviteret", "Invited"),
    ("fig_queued", "Breve i kø", "Letters queued"),
    ("fig_delivered", "Leveret (Digital Post og papir)", "Delivered (Digital Post and paper)"),
    ("fig_opened", "Åbnet", "Opened"),
    ("fig_paper", "Sendt som papirbrev", "Sent on paper"),
    ("fig_failed", "Fejlet", "Failed"),
    ("fig_withdrawn", "Ikke sendt: bølgen blev lukket", "Not sent: the wave was closed"),
    ("fig_booked", "Booket", "Booked"),
    ("opening_heading", "Åbningsdag: minut for minut", "Opening day: minute by minute"),
    ("opening_intro", "Hold og bookinger pr. minut de seneste 10 minutter, tider der var fulde, og konflikter (den sidste plads gik til en anden, eller borgeren havde allerede en tid).", "Holds and bookings per minute over the last 10 minutes, times that were full, and conflicts (the last place went to someone else, or the citizen had a time already)."),
    ("opening_chart", "Søjlediagram: hold og bookinger pr. minut, de seneste 10 minutter", "Bar chart: holds and bookings per minute, the last 10 minutes"),
    ("opening_table", "Det seneste minut", "The last minute"),
    ("od_what", "Hvad", "What"),
    ("od_last_minute", "Seneste minut", "Last minute"),
    ("od_holds", "Hold", "Holds"),
    ("od_full", "Afvist: tiden var fuld", "Turned away: the time was full"),
    ("od_bookings", "Bookinger", "Bookings"),
    ("od_conflicts", "Konflikter", "Conflicts"),
    ("od_cancels", "Aflysninger", "Cancellations"),
    ("od_moves", "Flytninger", "Moves"),
    ("uptake_heading", "Tilslutning", "Uptake"),
    ("uptake_by_age", "Efter alder", "By age band"),
    ("uptake_by_municipality", "Efter kommune", "By municipality"),
    ("uptake_chart", "andel med en booking, i procent", "share with a booking, in per cent"),
    ("group", "Gruppe", "Group"),
    ("citizens", "Borgere", "Citizens"),
    ("share", "Andel", "Share"),
    ("show", "Vis", "Show"),
    ("no_population", "Ingen borgere i befolkningsudtrækket endnu.", "No citizens in the population extract yet."),
    ("help_other", "Hjælp en anden borger", "Help another citizen"),
    ("other_cpr", "Borgerens CPR-nummer", "The citizen's CPR number"),
    ("help_this", "Skift til denne borger", "Switch to this citizen"),
    ("helping_other", "Du hjælper nu en anden borger.", "You are now helping another citizen."),
    ("new_campaign", "Ny kampagne", "New campaign"),
    ("campaign_code_hint", "Små bogstaver, tal og bindestreg, fx covid-dose-3.", "Lower-case letters, digits and hyphens, e.g. covid-dose-3."),
    ("create_campaign", "Opret kampagne", "Create campaign"),
    ("campaign_created", "Kampagnen er oprettet.", "The campaign is created."),
    ("err_campaign_kind", "Vælg art og adgang fra listerne.", "Choose kind and access from the lists."),
    ("capacity_heading", "Steder og kapacitet", "Sites and capacity"),
    ("sites_open", "åbne steder.", "open sites."),
    ("cap_sites", "Steder", "Sites"),
    ("cap_full_sites", "Steder uden ledige pladser", "Sites without free places"),
    ("cap_tight", "Steder med færrest ledige pladser", "Sites with the fewest free places"),
    ("signin_ending_before", "Du bliver logget ud af sikkerhedshensyn om", "For your security you will be signed out in"),
    ("stay_signed_in", "Bliv logget ind", "Stay signed in"),
    ("signin_extended", "Du er stadig logget ind.", "You are still signed in."),
    ("chart_label", "Søjlediagram over bølgens tal", "Bar chart of the wave's figures"),
    ("err_age", "Alder skal være et helt tal fra 0 til 130, og mindst må ikke være over højst.", "Age must be a whole number from 0 to 130, and at least must not be above at most."),
    ("err_no_criteria", "Angiv mindst ét kriterium: alder, kommune eller prioritetsgruppe.", "Give at least one criterion: age, municipality or priority group."),
    ("err_cohort_name", "Giv målgruppen et navn.", "Give the cohort a name."),
    ("err_choose_cohort", "Vælg en målgruppe.", "Choose a cohort."),
    ("err_choose_campaign", "Vælg en kampagne.", "Choose a campaign."),
    ("err_opens_at", "Angiv dato og klokkeslæt for, hvornår bølgen åbner.", "Give the date and time the wave opens."),
    ("error_title", "Det gik ikke", "That did not work"),
    ("back_home", "Til forsiden", "To the home page"),
    ("err_sign_in_required", "Log ind for at fortsætte.", "Sign in to continue."),
    ("err_sign_in_again", "Du er blevet logget ud. Log ind igen.", "You have been signed out. Please sign in again."),
    ("err_wrong_role", "Den side er ikke for den rolle, du er logget ind med.", "That page is not for the role you signed in with."),
    ("err_csrf", "Formularen var for gammel. Prøv igen.", "The form was too old. Please try again."),
    ("err_not_found", "Siden findes ikke.", "The page does not exist."),
    ("err_generic", "Noget gik galt. Prøv igen om lidt.", "Something went wrong. Please try again shortly."),
    ("err_queue_required", "Bookingen går gennem et venteværelse lige nu. Vælg din tid igen for at stille dig i køen.", "Booking goes through a waiting room right now. Choose your time again to join the queue."),
    ("err_busy", "Der er travlt lige nu. Prøv igen om et øjeblik.", "It is busy right now. Please try again in a moment."),
    ("err_unreachable", "Tjenesten kan ikke nås lige nu. Prøv igen om lidt.", "The service cannot be reached right now. Please try again shortly."),
    ("err_invalid", "Noget i det, du sendte, var ikke gyldigt.", "Something in what you sent was not valid."),
    ("err_bad_cpr", "CPR-nummeret er ikke gyldigt. Skriv 10 cifre, fx 010170-1234.", "The CPR number is not valid. Enter 10 digits, e.g. 010170-1234."),
    ("err_municipality_code", "Kommunekoden er et tal fra 1 til 999 (fx 101 for København), eller tom for en pårørende.", "The municipality code is a number from 1 to 999 (e.g. 101 for Copenhagen), or empty for a relative."),
    ("err_outside_municipality", "Du kan kun hjælpe borgere i din egen kommune, eller en borger der har givet dig fuldmagt.", "You can only help citizens of your own municipality, or a citizen who has given you power of attorney."),
    ("err_no_power_of_attorney", "Borgeren har ikke givet dig fuldmagt. Borgeren kan give den under \"Fuldmagter\", eller myndigheden kan registrere en fuldmagt på papir.", "The citizen has not given you power of attorney. They can give it under \"Powers of attorney\", or the authority can record one given on paper."),
    ("err_attorney_citizen_only", "Kun borgeren selv kan se og ændre sine fuldmagter.", "Only the citizen can see and change their powers of attorney."),
    ("err_attorney_helper", "Skriv hjælperens eget id (1 til 128 tegn, ikke et CPR-nummer).", "Enter the helper's own id (1 to 128 characters, not a CPR number)."),
    ("err_helper_id", "Skriv dit eget hjælper-id (ikke et CPR-nummer).", "Enter your own helper id (not a CPR number)."),
    ("err_subject", "Skriv dit myndigheds-id (ikke et CPR-nummer).", "Enter your authority id (not a CPR number)."),
    ("err_role", "Vælg, hvem du logger ind som.", "Choose who you are signing in as."),
    ("err_unknown_municipality", "Vælg en kommune på listen.", "Choose a municipality from the list."),
    ("err_bad_postcode", "Postnummeret skal være 4 cifre, fx 8000.", "The postcode must be 4 digits, e.g. 8000."),
    ("err_bad_location", "Placeringen kunne ikke bruges. Vælg en kommune eller skriv et postnummer.", "The location could not be used. Choose a municipality or enter a postcode."),
    ("err_choose_time", "Vælg en af de ledige tider.", "Choose one of the free times."),
    ("err_no_hold", "Du har ikke en tid holdt. Vælg en tid.", "You have no time held. Choose a time."),
    ("err_slot_full", "Den tid blev lige taget af en anden. Vælg en anden tid.", "That time was just taken by someone else. Choose another time."),
    ("err_slot_closed", "Den tid er lukket. Vælg en anden tid.", "That time is closed. Choose another time."),
    ("err_slot_in_past", "Den tid er allerede begyndt. Vælg en senere tid.", "That time has already started. Choose a later time."),
    ("err_not_invited", "Du er ikke inviteret til dette endnu. Du får besked, når det er din tur.", "You are not invited to this yet. You will be told when it is your turn."),
    ("err_hold_expired", "Tiden var ikke længere holdt til dig. Vælg en tid igen.", "The time was no longer held for you. Choose a time again."),
    ("err_hold_already_confirmed", "Den tid er allerede booket. Se dine bookinger.", "That time is booked already. See your bookings."),
    ("err_hold_not_yours", "Den holdte tid tilhører en anden.", "The held time belongs to someone else."),
    ("err_hold_extension_limit", "Du kan ikke få mere tid. Bekræft nu, eller vælg tiden igen.", "You cannot get more time. Confirm now, or choose the time again."),
    ("err_already_booked", "Du har allerede en tid til dette. Flyt den i stedet.", "You already have a time for this. Move it instead."),
    ("err_booking_not_active", "Den booking er ikke aktiv længere.", "That booking is no longer active."),
    ("err_campaign_mismatch", "Den nye tid er til noget andet end din booking.", "The new time is for something other than your booking."),
    ("err_unknown_campaign", "Det kan ikke bookes.", "That cannot be booked."),
    ("err_audit_citizen_only", "Kun borgeren selv kan se, hvem der har set deres data.", "Only the citizen can see who has looked at their data."),
];

fn tables() -> &'static [BTreeMap<&'static str, &'static str>; 2] {
    static TABLES: OnceLock<[BTreeMap<&'static str, &'static str>; 2]> = OnceLock::new();
    TABLES.get_or_init(|| {
        let da = MESSAGES.iter().map(|(k, d, _)| (*k, *d)).collect();
        let en = MESSAGES.iter().map(|(k, _, e)| (*k, *e)).collect();
        [da, en]
    })
}

/// Every sentence of `lang`, by key (the templates' `t`).
pub fn table(lang: Lang) -> &'static BTreeMap<&'static str, &'static str> {
    &tables()[match lang {
        Lang::Da => 0,
        Lang::En => 1,
    }]
}

/// The sentence for `key`, or the key itself when there is none (a test catches that).
pub fn text(lang: Lang, key: &str) -> &str {
    table(lang).get(key).copied().unwrap_or(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_every_sentence_once() {
        let mut seen = std::collections::HashSet::new();
        for (key, da, en) in MESSAGES {
            assert!(seen.insert(key), "{key} twice");
            assert!(
                !da.trim().is_empty() && !en.trim().is_empty(),
                "{key} empty"
            );
        }
        assert_eq!(table(Lang::Da).len(), table(Lang::En).len());
    }

    #[test]
    fn every_key_the_code_and_templates_use_exists() {
        let sources = [
            include_str!("pages/mod.rs"),
            include_str!("pages/attorney.rs"),
            include_str!("pages/auth.rs"),
            include_str!("pages/book.rs"),
            include_str!("pages/bookings.rs"),
            include_str!("pages/console.rs"),
            include_str!("pages/console_sites.rs"),
            include_str!("pages/passes.rs"),
            include_str!("errors.rs"),
            include_str!("search.rs"),
        ];
        for src in sources {
            for quoted in src.split('"').skip(1).step_by(2) {
                let looks_like_key = quoted.starts_with("err_")
                    && quoted.chars().all(|c| c.is_ascii_lowercase() || c == '_');
                if looks_like_key {
                    assert_ne!(text(Lang::Da, quoted), quoted, "missing {quoted}");
                }
            }
        }
        for status in ["active", "cancelled", "moved", "done"] {
            assert_ne!(
                text(Lang::En, &format!("status_{status}")),
                format!("status_{status}")
            );
        }
    }

    #[test]
    fn language_choice() {
        assert_eq!(Lang::from_cookie(None), Lang::Da);
        assert_eq!(Lang::from_cookie(Some("en")), Lang::En);
        assert_eq!(Lang::from_cookie(Some("fr")), Lang::Da);
        assert_eq!(Lang::En.other(), Lang::Da);
        assert_eq!(text(Lang::En, "sign_in"), "Sign in");
        assert_eq!(text(Lang::Da, "no_such_key"), "no_such_key");
    }
}
