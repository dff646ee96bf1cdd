// Browser journeys against a running web front end (started by the Rust test
// `web/tests/web/browser.rs`, which passes the URLs and test citizens in the
// environment). Headless Debian chromium through playwright-core; axe-core on every
// page visited (zero serious or critical violations allowed); a keyboard-only booking;
// screenshots at desktop and phone width into $SCREENSHOTS.
import { chromium } from "playwright-core";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const AXE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const WEB = env("WEB_URL");
const CHROMIUM = env("CHROMIUM");
const SHOTS = env("SCREENSHOTS");
const CITIZEN = env("CITIZEN_CPR");
const KEYBOARD = env("KEYBOARD_CPR");
const HELPED = env("HELPED_CPR");
const INVITED = env("INVITED_CPR");
const BOOKING = env("BOOKING_URL");
const FIRST_DAY = env("FIRST_DAY");
const QUEUED = env("QUEUED_CPR");

const log = (...a) => console.log(...a);
function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

const audited = new Set();
async function axe(page, label) {
  await page.addScriptTag({ content: AXE });
  const result = await page.evaluate(() =>
    window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
    }),
  );
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  log(`axe ${label}: ${result.violations.length} violations, ${bad.length} serious or critical`);
  for (const v of result.violations) log(`  ${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  check(bad.length === 0, `axe on ${label}: ${bad.map((v) => `${v.id} (${v.impact})`).join(", ")}`);
  audited.add(label);
}

const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };
async function shoot(page, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize(PHONE);
  await page.screenshot({ path: path.join(SHOTS, `${name}-phone.png`), fullPage: true });
  await page.setViewportSize(DESKTOP);
}

async function expectText(page, text) {
  await page.getByText(text, { exact: false }).first().waitFor({ timeout: 10000 });
}

async function signIn(page, fields) {
  await page.goto(`${WEB}/signin`);
  if (fields.role) await page.check(`#role-${fields.role}`);
  if (fields.cpr) await page.fill("#cpr", fields.cpr);
  if (fields.helper) await page.fill("#helper", fields.helper);
  if (fields.municipality) await page.fill("#municipality", fields.municipality);
  if (fields.subject) await page.fill("#subject", fields.subject);
  if (fields.name) await page.fill("#name", fields.name);
  await page.getByRole("button", { name: "Log ind" }).click();
  await expectText(page, "Du er logget ind.");
}

async function signOut(page) {
  await page.getByRole("button", { name: /Log ud|Sign out/ }).click();
  await expectText(page, "Du er logget ud.");
}

// --- A citizen books, extends, moves and cancels (pointer and keyboard mixed). ---
async function citizenJourney(page) {
  await page.goto(`${WEB}/`);
  await axe(page, "home (signed out)");
  await page.goto(`${WEB}/signin`);
  await axe(page, "sign-in");
  await shoot(page, "signin");
  await signIn(page, { cpr: CITIZEN, name: "Åse Mølgaard" });
  await axe(page, "home");
  await shoot(page, "home");

  await page.getByRole("link", { name: "Book tid – PCR-test" }).click();
  await expectText(page, "Find et sted");
  await axe(page, "find a site");
  await page.fill("#postcode", "8000");
  await page.getByRole("button", { name: "Søg" }).click();
  await expectText(page, "Testcenter Aarhus C");
  const names = await page.locator(".cards h3").allTextContents();
  check(names[0].includes("Aarhus C") && names[1].includes("Aarhus N"), `postcode order: ${names}`);
  await axe(page, "site results");
  await shoot(page, "sites");

  await page.getByRole("link", { name: "Testcenter Aarhus C" }).click();
  await expectText(page, "Ledige tider");
  await axe(page, "day and time");
  await shoot(page, "day");
  await page.locator("input[name=slot]").first().check();
  await page.getByRole("button", { name: "Hold tiden til mig" }).click();
  await expectText(page, "Bekræft din tid");
  // The countdown runs (JavaScript improves the page; the text is there without it).
  const left1 = await page.locator("[data-left]").textContent();
  await page.waitForFunction(
    (first) => {
      const now = document.querySelector("[data-left]").textContent;
      return /^\d+:\d\d$/.test(now) && now !== first;
    },
    left1,
    { timeout: 10000 },
  );
  await axe(page, "hold with countdown");
  await shoot(page, "hold");
  await page.getByRole("button", { name: "Giv mig mere tid" }).click();
  await expectText(page, "Du har fået mere tid.");
  await page.getByRole("button", { name: "Bekræft booking" }).click();
  await expectText(page, "Din tid er booket.");
  await axe(page, "receipt");
  await shoot(page, "receipt");

  await page.getByRole("link", { name: "Mine bookinger" }).first().click();
  await expectText(page, "Kommende");
  await axe(page, "my bookings");
  await page.getByRole("link", { name: "Flyt tiden – PCR-test" }).click();
  await expectText(page, "Du flytter en booking");
  await page.selectOption("#municipality", { label: "København" });
  await page.getByRole("button", { name: "Søg" }).click();
  await page.getByRole("link", { name: "Testcenter Østerbro" }).click();
  await page.locator("input[name=slot]").nth(1).check();
  await page.getByRole("button", { name: "Hold tiden til mig" }).click();
  await expectText(page, "Bekræft din nye tid");
  await page.getByRole("button", { name: "Bekræft flytning" }).click();
  await expectText(page, "Din tid er flyttet.");
  await expectText(page, "Testcenter Østerbro");

  await page.getByRole("link", { name: "Mine bookinger" }).first().click();
  await expectText(page, "Flyttet");
  await shoot(page, "bookings");
  await page.getByRole("link", { name: "Aflys – PCR-test" }).click();
  await expectText(page, "Vil du aflyse denne tid?");
  await axe(page, "cancel");
  await page.getByRole("button", { name: "Ja, aflys tiden" }).click();
  await expectText(page, "Din booking er aflyst.");
  await expectText(page, "Du har ingen kommende tider.");

  // English, complete, and back.
  await page.getByRole("link", { name: "English" }).click();
  await expectText(page, "You have no upcoming times.");
  check((await page.getAttribute("html", "lang")) === "en", "html lang is en");
  await axe(page, "my bookings (English)");
  await page.getByRole("link", { name: "Dansk" }).click();
  await expectText(page, "Du har ingen kommende tider.");

  // Passes: the register facts, the QR code on screen, the PDF pass to print.
  await page.getByRole("link", { name: "Mine pas og resultater" }).first().click();
  await expectText(page, "Vaccinationspas");
  await axe(page, "passes and results");
  await shoot(page, "passes");
  await page.getByRole("button", { name: "Vis pas – Vaccinationspas" }).click();
  await expectText(page, "Certifikat-id");
  // The QR code image loads (waitForFunction throws after 15 s if it does not).
  await page.waitForFunction(() => {
    const img = document.querySelector("img.qr");
    return img && img.complete && img.naturalWidth > 0;
  });
  await axe(page, "pass with QR code");
  await shoot(page, "pass");
  await page.emulateMedia({ media: "print" });
  check(!(await page.locator("header.top").isVisible()), "printing shows the pass only");
  await page.emulateMedia({ media: "screen" });
  // The printable PDF pass: a plain link, fetched with the session like a click would.
  const pdfLink = page.getByRole("link", { name: "Hent PDF til udskrift (dansk)" });
  check(await pdfLink.isVisible(), "the pass page links the PDF to print");
  const pdf = await page.request.get(new URL(await pdfLink.getAttribute("href"), page.url()).href);
  check(pdf.ok() && pdf.headers()["content-type"] === "application/pdf", "the PDF link gives the PDF pass");

  await page.getByRole("link", { name: "Hvem har set mine data" }).first().click();
  await expectText(page, "Ingen andre har set dine oplysninger.");
  await axe(page, "who has looked at my data (empty)");
  await signOut(page);
  log("citizen journey: booked, extended, moved, cancelled");
}

// --- Keyboard only: Tab, typing, Space and Enter; no pointer at all. ---
async function tabTo(page, selector, max = 120) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    const hit = await page.evaluate((sel) => {
      const el = document.activeElement;
      if (!el || !el.matches(sel)) return null;
      const style = getComputedStyle(el);
      return { outline: style.outlineStyle, shadow: style.boxShadow };
    }, selector);
    if (hit) {
      check(hit.outline !== "none" || hit.shadow !== "none", `no visible focus on ${selector}`);
      return;
    }
  }
  throw new Error(`could not reach ${selector} with Tab`);
}

async function keyboardJourney(page) {
  await page.goto(`${WEB}/signin`);
  await page.keyboard.press("Tab");
  check(await page.evaluate(() => document.activeElement.classList.contains("skip")), "the skip link is the first Tab stop");
  await tabTo(page, "#cpr");
  await page.keyboard.type(KEYBOARD);
  await tabTo(page, "main form button[type=submit]");
  await page.keyboard.press("Enter");
  await expectText(page, "Du er logget ind.");
  await tabTo(page, 'main a[href="/book/pcr-test"]');
  await page.keyboard.press("Enter");
  await expectText(page, "Find et sted");
  await tabTo(page, "#postcode");
  await page.keyboard.type("8200");
  await page.keyboard.press("Enter");
  await expectText(page, "Testcenter Aarhus N");
  await tabTo(page, "main .cards a");
  await page.keyboard.press("Enter");
  await expectText(page, "Ledige tider");
  await tabTo(page, "input[name=slot]");
  await page.keyboard.press("Space");
  check(await page.evaluate(() => document.activeElement.checked), "Space chose the time");
  await tabTo(page, "main form button[type=submit]");
  await page.keyboard.press("Enter");
  await expectText(page, "Bekræft din tid");
  await tabTo(page, "[data-extend]");
  await page.keyboard.press("Enter");
  await expectText(page, "Du har fået mere tid.");
  await tabTo(page, "[data-confirm]");
  await page.keyboard.press("Enter");
  await expectText(page, "Din tid er booket.");
  await tabTo(page, "header button");
  await page.keyboard.press("Enter");
  await expectText(page, "Du er logget ud.");
  log("keyboard journey: booked with the keyboard only");
}

// --- A helper books for a citizen, who then sees it in "who has looked at my data". ---
async function helperJourney(page) {
  // A municipal worker of København (101), where the helped citizen lives.
  await signIn(page, { role: "helper", cpr: HELPED, helper: "kommune-101-anna", municipality: "101" });
  await expectText(page, "Du handler på vegne af");
  const masked = `${HELPED.slice(0, 6)}-****`;
  const text = await page.locator("body").innerText();
  check(text.includes(masked), "the helper sees the masked CPR number");
  check(!text.includes(HELPED) && !text.includes(`${HELPED.slice(0, 6)}-${HELPED.slice(6)}`), "never the full CPR number");
  await axe(page, "home (helper)");
  await shoot(page, "helper");
  await page.getByRole("link", { name: "Book tid – PCR-test" }).click();
  await page.selectOption("#municipality", { label: "Aarhus" });
  await page.getByRole("button", { name: "Søg" }).click();
  await page.getByRole("link", { name: "Testcenter Aarhus N" }).click();
  await page.locator("input[name=slot]").last().check();
  await page.getByRole("button", { name: "Hold tiden til mig" }).click();
  await page.getByRole("button", { name: "Bekræft booking" }).click();
  await expectText(page, "Din tid er booket.");
  // Picking another citizen to help, and back.
  await page.getByRole("link", { name: "Forside" }).click();
  await page.fill("#other-cpr", KEYBOARD);
  await page.getByRole("button", { name: "Skift til denne borger" }).click();
  await expectText(page, "Du hjælper nu en anden borger.");
  await expectText(page, `${KEYBOARD.slice(0, 6)}-****`);
  await signOut(page);

  await signIn(page, { cpr: HELPED });
  await page.getByRole("link", { name: "Mine bookinger" }).first().click();
  await expectText(page, "Booket af en hjælper på dine vegne");
  await page.getByRole("link", { name: "Hvem har set mine data" }).first().click();
  await expectText(page, "Hjælper: kommune-101-anna");
  await expectText(page, "bookede en tid");
  await axe(page, "who has looked at my data");
  await shoot(page, "audit");

  // Powers of attorney: the citizen gives one to a relative, sees it, and takes it back.
  await page.getByRole("link", { name: "Fuldmagter" }).first().click();
  await expectText(page, "Du har ikke givet nogen fuldmagt.");
  await axe(page, "powers of attorney (none)");
  await page.getByRole("button", { name: "Giv fuldmagt" }).click();
  await expectText(page, "Skriv hjælperens eget id");
  check((await page.getAttribute("#attorney-helper", "aria-invalid")) === "true", "the empty field is marked invalid");
  check((await page.getAttribute("#attorney-helper", "aria-describedby")).includes("form-error"), "the field points at the error");
  await axe(page, "powers of attorney (error)");
  await page.getByLabel("Hjælperens id").fill("datter-anna");
  await page.getByRole("button", { name: "Giv fuldmagt" }).click();
  await expectText(page, "Fuldmagten er givet.");
  await axe(page, "powers of attorney (one)");
  await shoot(page, "attorney");
  await page.getByRole("button", { name: "Tilbagekald – datter-anna" }).click();
  await expectText(page, "Fuldmagten er tilbagekaldt.");
  await signOut(page);
  // Without it, the relative is told why they cannot act.
  await page.goto(`${WEB}/signin`);
  await page.check("#role-helper");
  await page.fill("#cpr", HELPED);
  await page.fill("#helper", "datter-anna");
  await page.getByRole("button", { name: "Log ind" }).click();
  await expectText(page, "Borgeren har ikke givet dig fuldmagt");
  await axe(page, "sign-in (helper refused)");
  log("helper journey: booked on behalf; the citizen sees it; a power of attorney given and revoked");
}

// --- The authority opens a wave and watches the counts move. ---
async function bookThroughTheApi(cpr, campaign) {
  const post = (path, token, body) =>
    fetch(`${BOOKING}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    }).then(async (r) => {
      const text = await r.text();
      check(r.ok, `${path}: ${r.status} ${text}`);
      return JSON.parse(text);
    });
  const { access_token: token } = await post("/dev/token", null, { role: "citizen", cpr });
  const sites = await (await fetch(`${BOOKING}/v1/sites?campaign=${campaign}`)).json();
  const day = await (await fetch(`${BOOKING}/v1/sites/${sites.sites[0].id}/slots?date=${FIRST_DAY}&campaign=${campaign}`)).json();
  const hold = await post("/v1/holds", token, { slot_id: day.slots[0].id });
  await post("/v1/bookings", token, { hold_id: hold.hold_id });
}

async function authorityJourney(page) {
  await signIn(page, { role: "authority", subject: "sst-1" });
  await page.getByRole("link", { name: "Konsol", exact: true }).click();
  await expectText(page, "Sundhedsmyndighedens konsol");
  await axe(page, "console");
  await page.fill("#cohort-name", "50+ Aarhus");
  await page.fill("#age-min", "50");
  await page.selectOption("#cohort-municipality", { label: "Aarhus" });
  await page.getByRole("button", { name: "Vis antal" }).click();
  check((await page.locator("[data-preview]").textContent()) === "2", "the preview counts both");
  await page.getByRole("button", { name: "Opret målgruppe" }).click();
  await expectText(page, "Målgruppen er oprettet.");
  await page.selectOption("#wave-cohort", { label: "50+ Aarhus (2)" });
  await page.selectOption("#wave-campaign", { label: "COVID-19-vaccination, 1. stik" });
  await page.getByRole("button", { name: "Åbn eller planlæg bølgen" }).click();
  await expectText(page, "Bølgen er åbnet");
  const figure = (key) => page.locator(`[data-figure="${key}"]`).textContent();
  check((await figure("fig_invited")) === "2", "two invited");
  check((await figure("fig_booked")) === "0", "none booked yet");
  await axe(page, "wave live view");
  await bookThroughTheApi(INVITED, "covid-dose-1");
  // No reload: the live view polls and the booked count moves.
  await page.waitForFunction(() => document.querySelector('[data-figure="fig_booked"]').textContent === "1", null, { timeout: 20000 });
  const width = await page.locator('[data-bar="fig_booked"]').getAttribute("width");
  check(width === "50", `the booked bar is half the invited one: ${width}`);
  await shoot(page, "wave");
  await page.getByRole("link", { name: "Tilbage til konsollen" }).click();
  // Opening day, minute by minute: the booking shows in the last minute's figures.
  await page.waitForFunction(() => Number(document.querySelector('[data-od="bookings"]').textContent) >= 1, null, { timeout: 20000 });
  await axe(page, "console with opening day");
  await page.selectOption("#uptake-campaign", { label: "COVID-19-vaccination, 1. stik" });
  await page.getByRole("button", { name: "Vis", exact: true }).click();
  await expectText(page, "50 %");
  await axe(page, "console with uptake");
  await shoot(page, "console");

  // Sites, times and capacity: a new site (a mistake first), its times, one capacity.
  check((await page.locator('[data-od="full_slots"]').textContent()).includes("/"), "full times now are counted");
  await page.getByRole("link", { name: "Steder, tider og kapacitet" }).click();
  await expectText(page, "Nyt sted");
  await axe(page, "console sites");
  await page.getByLabel("Navn", { exact: true }).fill("Vaccinationscenter Valby");
  await page.getByLabel("Adresse").fill("Valby Langgade 1");
  await page.getByLabel("Postnummer").fill("25");
  await page.selectOption("#site-municipality", { label: "København" });
  await page.getByLabel("Breddegrad").fill("55,66");
  await page.getByLabel("Længdegrad").fill("12,51");
  await page.getByLabel("PCR-test", { exact: false }).first().check();
  await page.getByRole("button", { name: "Opret stedet" }).click();
  await expectText(page, "Postnummeret er 4 cifre");
  check((await page.getAttribute("#site-postcode", "aria-invalid")) === "true", "the postcode is marked invalid");
  await axe(page, "console sites (error)");
  await page.getByLabel("Navn", { exact: true }).fill("Vaccinationscenter Valby");
  await page.getByLabel("Adresse").fill("Valby Langgade 1");
  await page.getByLabel("Postnummer").fill("2500");
  await page.selectOption("#site-municipality", { label: "København" });
  await page.getByLabel("Breddegrad").fill("55,66");
  await page.getByLabel("Længdegrad").fill("12,51");
  await page.getByLabel("PCR-test", { exact: false }).first().check();
  await page.getByRole("button", { name: "Opret stedet" }).click();
  await expectText(page, "Stedet er oprettet.");
  await page.fill("#plan-from", FIRST_DAY);
  await page.fill("#plan-to", FIRST_DAY);
  await page.fill("#plan-opens", "08:00");
  await page.fill("#plan-closes", "09:00");
  await page.fill("#plan-interval", "20");
  await page.fill("#plan-capacity", "4");
  await page.getByRole("button", { name: "Lav tiderne" }).click();
  await expectText(page, "Tiderne er lavet.");
  await axe(page, "site: times and capacity");
  await page.locator("input[name=capacity]").first().fill("6");
  await page.getByRole("button", { name: /^Skift/ }).first().click();
  await expectText(page, "Kapaciteten er ændret.");
  await shoot(page, "site");

  // A power of attorney given on paper: a mistake first, then recorded.
  await page.goto(`${WEB}/console`);
  await page.getByRole("link", { name: "Fuldmagter på papir" }).click();
  await expectText(page, "Registrér eller afslut en fuldmagt");
  await axe(page, "paper powers of attorney");
  await page.getByLabel("Borgerens CPR-nummer").fill("320170-1234");
  await page.getByLabel("Hjælperens id").fill("nabo-karl");
  await page.getByRole("button", { name: "Registrér fuldmagt" }).click();
  await expectText(page, "CPR-nummeret er ikke gyldigt");
  check((await page.getAttribute("#paper-cpr", "aria-invalid")) === "true", "the CPR number is marked invalid");
  await axe(page, "paper powers of attorney (error)");
  await page.getByLabel("Borgerens CPR-nummer").fill("010170-1234");
  await page.getByLabel("Hjælperens id").fill("nabo-karl");
  await page.getByRole("button", { name: "Registrér fuldmagt" }).click();
  await expectText(page, "Fuldmagten er registreret.");
  await signOut(page);
  log("authority journey: opened a wave and watched the booked count move; made a site, its times and a capacity change; recorded a paper power of attorney");
}

// --- A gated opening: a citizen stands in the waiting room before it, then books. ---
async function queueJourney(page) {
  const { access_token: authority } = await (
    await fetch(`${BOOKING}/dev/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ role: "authority", subject: "sst-1" }),
    })
  ).json();
  // Far enough ahead for the steps before joining on a busy machine.
  const opensAt = new Date(Date.now() + 10000).toISOString();
  const made = await fetch(`${BOOKING}/v1/waiting-rooms`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${authority}` },
    body: JSON.stringify({ name: "pcr-opening", opens_at: opensAt, admissions_per_second: 5, gate_holds: true, campaign: "pcr-test" }),
  });
  check(made.ok, `the waiting room: ${made.status}`);
  await signIn(page, { cpr: QUEUED, name: "Bo Kø" });
  await page.getByRole("link", { name: "Book tid", exact: true }).first().click();
  await expectText(page, "Ny booking åbner");
  await axe(page, "book with a waiting room ahead");
  await page.getByRole("button", { name: "Stil dig i venteværelset" }).click();
  await expectText(page, "Bookingen åbner");
  await axe(page, "waiting room (before the opening)");
  await shoot(page, "queue");
  // The page keeps itself up to date; at the person's turn it says so and offers the
  // way on, with the focus on it.
  const onward = page.getByRole("link", { name: "Vælg din tid" });
  await onward.waitFor({ timeout: 45000 });
  check(await onward.evaluate((a) => a === document.activeElement), "the way on has the focus");
  await axe(page, "waiting room (your turn)");
  await onward.click();
  await page.getByRole("link", { name: "Book tid – PCR-test" }).click();
  await page.fill("#postcode", "8000");
  await page.getByRole("button", { name: "Søg" }).click();
  await page.getByRole("link", { name: "Testcenter Aarhus C" }).click();
  await page.locator("input[name=slot]").first().check();
  await page.getByRole("button", { name: "Hold tiden til mig" }).click();
  await expectText(page, "Bekræft din tid");
  await page.getByRole("button", { name: "Bekræft booking" }).click();
  await expectText(page, "Din tid er booket.");
  await signOut(page);
  // The booking service's own page for a room (for people sent a link to it), joined
  // before the room opens: its script notices the opening and then the turn (the
  // refresh is only for pages without JavaScript).
  const later = await fetch(`${BOOKING}/v1/waiting-rooms`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${authority}` },
    body: JSON.stringify({ name: "boosters", opens_at: new Date(Date.now() + 8000).toISOString(), admissions_per_second: 5 }),
  });
  check(later.ok, `the second waiting room: ${later.status}`);
  await page.goto(`${BOOKING}/waiting-room/boosters`);
  await expectText(page, "Du er i venteværelset");
  await axe(page, "the booking service's waiting-room page");
  await page.getByText("Det er din tur").waitFor({ timeout: 45000 });
  log("queue journey: stood in the waiting room before the opening, was let in, booked");
}

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "web-chromium-"));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: CHROMIUM,
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
  // axe-core is injected as an inline script; the pages' CSP forbids those.
  bypassCSP: true,
  viewport: DESKTOP,
  locale: "da-DK",
});
let failed = false;
try {
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15000);
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await citizenJourney(page);
  await context.clearCookies();
  await keyboardJourney(page);
  await context.clearCookies();
  await helperJourney(page);
  await context.clearCookies();
  await authorityJourney(page);
  await context.clearCookies();
  await queueJourney(page);
  check(errors.length === 0, `script errors on the pages: ${errors.join("; ")}`);
  log(`axe-core checked ${audited.size} pages: ${[...audited].join(", ")}`);
  log("journeys: all passed");
} catch (e) {
  failed = true;
  console.error(e);
} finally {
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
