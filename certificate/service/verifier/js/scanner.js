// QR reading from the camera (getUserMedia + jsQR on canvas frames) and from a photo.
// Frames stay in this page; nothing is uploaded.

import jsQR from '../vendor/jsqr.js';

function decodeCanvas(ctx, width, height) {
  const img = ctx.getImageData(0, 0, width, height);
  const code = jsQR(img.data, width, height, { inversionAttempts: 'attemptBoth' });
  return code ? code.data : null;
}

/** Reads a QR code from an image file (photo or screenshot); null when none is found. */
export async function decodeFile(file) {
  const bitmap = await createImageBitmap(file);
  // Large photos: scale down (jsQR is linear in pixels and finds codes at ~1000 px).
  for (const max of [1200, 2400, 600]) {
    const scale = Math.min(1, max / Math.max(bitmap.width, bitmap.height));
    const w = Math.max(1, Math.round(bitmap.width * scale));
    const h = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = new OffscreenCanvas(w, h);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(bitmap, 0, 0, w, h);
    const text = decodeCanvas(ctx, w, h);
    if (text) return text;
  }
  return null;
}

/** A camera scanner: start(video, onText) resolves once the stream runs; stop() ends it. */
export class CameraScanner {
  constructor() {
    this.stream = null;
    this.timer = null;
  }

  async start(video, onText) {
    this.stop();
    this.stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: { ideal: 'environment' }, width: { ideal: 1280 }, height: { ideal: 720 } },
      audio: false,
    });
    video.srcObject = this.stream;
    video.setAttribute('playsinline', '');
    await video.play();
    const canvas = document.createElement('canvas');
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    const tick = () => {
      if (!this.stream) return;
      if (video.readyState >= 2 && video.videoWidth > 0) {
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        ctx.drawImage(video, 0, 0);
        const text = decodeCanvas(ctx, canvas.width, canvas.height);
        if (text) {
          this.stop();
          video.srcObject = null;
          onText(text);
          return;
        }
      }
      this.timer = setTimeout(tick, 120);
    };
    tick();
  }

  stop() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.stream) for (const t of this.stream.getTracks()) t.stop();
    this.stream = null;
  }

  get running() {
    return this.stream !== null;
  }
}
