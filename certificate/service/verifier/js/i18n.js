// Texts of the verifier page in Danish (default) and English, and the plain-words reason
// for each failed step. Reasons never quote the pass's contents.

export const LANGS = ['da', 'en'];

export const TEXT = {
  da: {
    title: 'Coronapas-kontrol',
    subtitle: 'Kontrollér et coronapas. Alt sker på denne enhed: intet om personen sendes nogen steder.',
    scan: 'Scan med kamera',
    stopScan: 'Stop kamera',
    cameraHint: 'Hold QR-koden foran kameraet.',
    pasteLabel: 'Eller indsæt teksten fra QR-koden (HC1: eller DK1:)',
    check: 'Kontrollér',
    uploadLabel: 'Eller vælg et billede af QR-koden',
    next: 'Scan næste',
    valid: 'GYLDIGT',
    invalid: 'IKKE GYLDIGT',
    name: 'Navn',
    dob: 'Fødselsdato',
    validUntil: 'Gyldigt til',
    checkId: 'Passet viser ikke navn: kontrollér personens ID.',
    domesticPass: 'Dansk coronapas',
    euPass: 'EU-coronapas',
    data: 'Kontroldata',
    trustList: 'Godkendte udstedere',
    revocations: 'Tilbagekaldte pas',
    rules: 'Regler',
    downloaded: 'hentet',
    never: 'ikke hentet',
    refresh: 'Opdatér kontroldata',
    online: 'Online',
    offline: 'Offline: bruger gemte kontroldata',
    notReady: 'Kontroldata mangler. Gå online og opdatér, før du kontrollerer pas.',
    noCamera: 'Kameraet kunne ikke startes. Indsæt teksten eller vælg et billede i stedet.',
    noQr: 'Der blev ikke fundet nogen QR-kode i billedet.',
    language: 'Sprog',
    updateFailed: 'Kunne ikke hente nye kontroldata; de gemte bruges.',
  },
  en: {
    title: 'COVID pass check',
    subtitle: 'Check a COVID pass. Everything happens on this device: nothing about the person is sent anywhere.',
    scan: 'Scan with camera',
    stopScan: 'Stop camera',
    cameraHint: 'Hold the QR code in front of the camera.',
    pasteLabel: 'Or paste the text from the QR code (HC1: or DK1:)',
    check: 'Check',
    uploadLabel: 'Or choose a photo of the QR code',
    next: 'Scan next',
    valid: 'VALID',
    invalid: 'NOT VALID',
    name: 'Name',
    dob: 'Date of birth',
    validUntil: 'Valid until',
    checkId: 'The pass shows no name: check the person’s ID.',
    domesticPass: 'Danish COVID pass',
    euPass: 'EU COVID pass',
    data: 'Verification data',
    trustList: 'Trusted issuers',
    revocations: 'Revoked passes',
    rules: 'Rules',
    downloaded: 'downloaded',
    never: 'not downloaded',
    refresh: 'Update verification data',
    online: 'Online',
    offline: 'Offline: using stored verification data',
    notReady: 'Verification data is missing. Go online and update before checking passes.',
    noCamera: 'The camera could not be started. Paste the text or choose a photo instead.',
    noQr: 'No QR code was found in the picture.',
    language: 'Language',
    updateFailed: 'Could not download new verification data; the stored copy is used.',
  },
};

const REASONS = {
  prefix: {
    da: 'Dette er ikke et coronapas (QR-koden er af en anden slags).',
    en: 'This is not a COVID pass (the QR code is of another kind).',
  },
  damaged: {
    da: 'QR-koden er beskadiget eller ikke et gyldigt coronapas.',
    en: 'The QR code is damaged or not a valid COVID pass.',
  },
  kid: {
    da: 'Passet er udstedt af en, der ikke er godkendt (ukendt udsteder).',
    en: 'The pass was issued by someone who is not trusted (unknown issuer).',
  },
  signature: {
    da: 'Passets underskrift er ikke gyldig: passet kan være ændret eller falsk.',
    en: 'The pass’s signature is not valid: the pass may have been altered or forged.',
  },
  expired: { da: 'Passet er udløbet.', en: 'The pass has expired.' },
  future: {
    da: 'Passet er udstedt i fremtiden. Tjek, at enhedens ur går rigtigt.',
    en: 'The pass is issued in the future. Check that this device’s clock is right.',
  },
  dscValidity: {
    da: 'Passets gyldighed passer ikke med udstederens certifikat.',
    en: 'The pass’s validity does not fit its issuer’s certificate.',
  },
  key_usage: {
    da: 'Udstederen må ikke udstede denne type pas.',
    en: 'The issuer is not allowed to issue this type of pass.',
  },
  schema: {
    da: 'Passets indhold følger ikke EU-formatet.',
    en: 'The pass’s contents do not follow the EU format.',
  },
  revocation: { da: 'Passet er tilbagekaldt.', en: 'The pass has been revoked.' },
  rules: {
    da: 'Passet opfylder ikke de gældende regler',
    en: 'The pass does not meet the current rules',
  },
  content: {
    da: 'Passets indhold hænger ikke sammen.',
    en: 'The pass’s contents are inconsistent.',
  },
};

/** The first failed step's reason in plain words (da/en). */
export function reasonFor(result, lang) {
  const order = Object.keys(result.steps);
  const name = order.find((n) => result.steps[n].status === 'failed');
  if (!name) return null;
  const step = result.steps[name];
  const pick = (key) => REASONS[key][lang] || REASONS[key].en;
  switch (name) {
    case 'prefix':
      return pick('prefix');
    case 'base45':
    case 'inflate':
    case 'cose':
    case 'cwt':
      return pick('damaged');
    case 'kid':
      return step.code === 'missing' ? pick('damaged') : pick('kid');
    case 'signature':
      return pick('signature');
    case 'expiry':
      if (step.code === 'expired') return pick('expired');
      if (step.code === 'issued_in_future') return pick('future');
      if (step.code === 'missing_iat' || step.code === 'missing_exp') return pick('damaged');
      return pick('dscValidity');
    case 'key_usage':
      return pick('key_usage');
    case 'schema':
      return pick('schema');
    case 'revocation':
      return pick('revocation');
    case 'rules': {
      const which = (step.failures || []).map((f) => f.local || f.description || f.identifier).filter(Boolean);
      return `${pick('rules')}${which.length ? `: ${which.join('; ')}` : '.'}`;
    }
    case 'content':
      return pick('content');
    default:
      return pick('damaged');
  }
}
