// Node 18 (Debian 12's nodejs) has WebCrypto only as node:crypto's `webcrypto`; Node 19+
// and browsers have it as globalThis.crypto, which the page's verifier uses. Every Node
// entry point that loads the verifier imports this first.
import { webcrypto } from 'node:crypto';

if (!globalThis.crypto) globalThis.crypto = webcrypto;
