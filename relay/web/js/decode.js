// Encoded frame -> ImageBitmap, off the main thread: WebCodecs' ImageDecoder where the browser has
// it, else createImageBitmap on a Blob. One decode at a time; newer frames replace a waiting one.

const MIME = { jpeg: "image/jpeg", png: "image/png" };
const supported = new Map();

async function canUseImageDecoder(type) {
  if (!("ImageDecoder" in globalThis)) return false;
  if (!supported.has(type)) supported.set(type, ImageDecoder.isTypeSupported(type).catch(() => false));
  return supported.get(type);
}

/** Decodes one cached entry ({codec, bytes, width, height}) into an ImageBitmap. */
export async function decodeFrame(entry) {
  if (entry.codec === "rgb8") return rgbBitmap(entry);
  const type = MIME[entry.codec];
  if (await canUseImageDecoder(type)) {
    const decoder = new ImageDecoder({ data: entry.bytes, type });
    try {
      const { image } = await decoder.decode();
      try {
        return await createImageBitmap(image);
      } finally {
        image.close();
      }
    } finally {
      decoder.close();
    }
  }
  return createImageBitmap(new Blob([entry.bytes], { type }));
}

function rgbBitmap({ bytes, width, height }) {
  const rgb = new Uint8Array(bytes);
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
    rgba[j] = rgb[i];
    rgba[j + 1] = rgb[i + 1];
    rgba[j + 2] = rgb[i + 2];
    rgba[j + 3] = 255;
  }
  return createImageBitmap(new ImageData(rgba, width, height));
}

/** Newest wins: while a decode runs, only the latest frame offered waits for the next turn. */
export class FrameDecoder {
  #busy = false;
  #next = null;

  constructor(onImage, onFailure) {
    this.onImage = onImage;
    this.onFailure = onFailure;
  }

  show(frame, entry) {
    this.#next = { frame, entry };
    if (!this.#busy) this.#run();
  }

  async #run() {
    this.#busy = true;
    while (this.#next) {
      const { frame, entry } = this.#next;
      this.#next = null;
      try {
        this.onImage(frame, entry, await decodeFrame(entry));
      } catch (err) {
        this.onFailure(frame, err);
      }
    }
    this.#busy = false;
  }
}
