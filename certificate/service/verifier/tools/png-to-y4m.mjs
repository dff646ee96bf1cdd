// PNG (8-bit grayscale or RGB/RGBA, non-interlaced, as the pass service and the dcc
// library render QR codes) → a Y4M video for Chromium's fake camera
// (--use-file-for-fake-video-capture). The QR code is centred on a white frame of at least 640×480.

import { inflateSync } from 'node:zlib';

function paeth(a, b, c) {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Decodes a PNG to {width, height, luma: Uint8Array}. */
export function decodePng(buf) {
  const sig = [137, 80, 78, 71, 13, 10, 26, 10];
  if (!sig.every((b, i) => buf[i] === b)) throw new Error('not a PNG');
  let p = 8;
  let width = 0;
  let height = 0;
  let depth = 0;
  let colorType = 0;
  let interlace = 0;
  const idat = [];
  while (p < buf.length) {
    const len = buf.readUInt32BE(p);
    const type = buf.toString('latin1', p + 4, p + 8);
    const data = buf.subarray(p + 8, p + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      depth = data[8];
      colorType = data[9];
      interlace = data[12];
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    p += 12 + len;
  }
  const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[colorType];
  if (depth !== 8 || !channels || interlace) throw new Error(`unsupported PNG (depth ${depth}, colour type ${colorType}, interlace ${interlace})`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? pixels[y * stride + x - channels] : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels] : 0;
      const v = line[x];
      pixels[y * stride + x] = (filter === 0 ? v : filter === 1 ? v + a : filter === 2 ? v + b : filter === 3 ? v + ((a + b) >> 1) : v + paeth(a, b, c)) & 0xff;
    }
  }
  const luma = new Uint8Array(width * height);
  for (let i = 0; i < width * height; i++) {
    const px = pixels.subarray(i * channels, i * channels + channels);
    luma[i] = channels >= 3 ? Math.round(0.299 * px[0] + 0.587 * px[1] + 0.114 * px[2]) : px[0];
  }
  return { width, height, luma };
}

/**
 * A Y4M (4:2:0) of `frames` identical frames showing the image centred on white, at an
 * integer scale (uneven module widths from fractional scaling defeat QR finders).
 */
export function toY4m({ width, height, luma }, { frames = 10 } = {}) {
  const even = (n) => n + (n % 2);
  const w = even(Math.max(640, width + 40));
  const h = even(Math.max(480, height + 40));
  const scale = Math.max(1, Math.floor(Math.min((w - 40) / width, (h - 40) / height)));
  const sw = Math.floor(width * scale);
  const sh = Math.floor(height * scale);
  const ox = Math.floor((w - sw) / 2);
  const oy = Math.floor((h - sh) / 2);
  const y = new Uint8Array(w * h).fill(255);
  for (let j = 0; j < sh; j++) {
    for (let i = 0; i < sw; i++) {
      // Nearest neighbour keeps the modules sharp.
      y[(oy + j) * w + ox + i] = luma[Math.floor(j / scale) * width + Math.floor(i / scale)];
    }
  }
  const chroma = new Uint8Array((w / 2) * (h / 2)).fill(128);
  const header = Buffer.from(`YUV4MPEG2 W${w} H${h} F10:1 Ip A1:1 C420jpeg\n`);
  const parts = [header];
  for (let f = 0; f < frames; f++) parts.push(Buffer.from('FRAME\n'), y, chroma, chroma);
  return Buffer.concat(parts);
}
