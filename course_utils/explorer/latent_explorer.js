// The static latent explorer (static.py): decodes z in the browser and draws g(z) and the marker.
// static.py inlines this file once per explorer and calls startLatentExplorer(root element).
// Dependency-free ES2017 plus DecompressionStream; the DOM contract is in static.py's docstring.
/* exported startLatentExplorer */
function startLatentExplorer(root) {
  "use strict";
  if (!root || root.dataset.started) return;
  root.dataset.started = "true";
  const model = JSON.parse(root.querySelector("script.latent-explorer-model").textContent);

  function bytes(text) {
    const binary = atob(text), out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  }
  function fromHalf(h) {  // IEEE 754 half precision to a number
    const sign = h & 0x8000 ? -1 : 1, exponent = (h >> 10) & 0x1f, fraction = h & 0x3ff;
    if (exponent === 0) return sign * fraction * Math.pow(2, -24);
    if (exponent === 31) return fraction ? NaN : sign * Infinity;
    return sign * (1 + fraction / 1024) * Math.pow(2, exponent - 15);
  }
  async function unpack() {  // static.py's pack_weights backwards: inflate, unshuffle, convert
    const stream = new Blob([bytes(model.weights)]).stream()
      .pipeThrough(new DecompressionStream("deflate"));
    const shuffled = new Uint8Array(await new Response(stream).arrayBuffer());
    const size = model.dtype === "float32" ? 4 : 2, count = shuffled.length / size;
    const raw = new Uint8Array(shuffled.length);
    for (let b = 0; b < size; b++) {
      for (let i = 0; i < count; i++) raw[i * size + b] = shuffled[b * count + i];
    }
    if (size === 4) return new Float32Array(raw.buffer);
    const halves = new Uint16Array(raw.buffer), out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = fromHalf(halves[i]);
    return out;
  }
  const activations = {
    relu: (x) => (x > 0 ? x : 0), sigmoid: (x) => 1 / (1 + Math.exp(-x)),
    tanh: Math.tanh, linear: (x) => x,
  };
  let layers = [];
  function split(values) {  // kernels (row-major, inputs × units) and biases, layer by layer
    let offset = 0;
    return model.layers.map((layer) => {
      const size = layer.inputs * layer.units;
      const kernel = values.subarray(offset, offset + size);
      const bias = values.subarray(offset + size, offset + size + layer.units);
      offset += size + layer.units;
      return {
        inputs: layer.inputs, units: layer.units, activation: activations[layer.activation],
        kernel: kernel, bias: bias,
      };
    });
  }

  function decode(z) {  // the decoder's forward pass; kernels are row-major (inputs × units)
    let values = Float64Array.from(z);
    for (const layer of layers) {
      const out = Float64Array.from(layer.bias);
      for (let i = 0; i < layer.inputs; i++) {
        const x = values[i];
        if (x === 0) continue;
        const row = i * layer.units;
        for (let j = 0; j < layer.units; j++) out[j] += x * layer.kernel[row + j];
      }
      for (let j = 0; j < layer.units; j++) out[j] = layer.activation(out[j]);
      values = out;
    }
    return values;
  }

  const canvas = root.querySelector("canvas.latent-explorer-digit");
  const context = canvas.getContext("2d");
  const image = context.createImageData(canvas.width, canvas.height);
  const sliders = Array.from(root.querySelectorAll("input.latent-explorer-slider"));
  const text = root.querySelector(".latent-explorer-z");
  const marker = root.querySelector(".latent-explorer-marker");
  const scatter = model.scatter;

  function show() {
    const z = sliders.map((slider) => slider.valueAsNumber);
    const pixels = decode(z);
    for (let k = 0; k < pixels.length; k++) {
      const grey = Math.round(255 * (1 - Math.min(1, Math.max(0, pixels[k]))));
      image.data[4 * k] = image.data[4 * k + 1] = image.data[4 * k + 2] = grey;
      image.data[4 * k + 3] = 255;
    }
    context.putImageData(image, 0, 0);
    sliders.forEach((slider, k) => { slider.nextElementSibling.value = z[k].toFixed(2); });
    text.textContent = "z = (" + z.map((v) => v.toFixed(2)).join(", ") + ")";
    if (marker && scatter) {
      const [left, top, right, bottom] = scatter.box;
      const [x0, x1] = scatter.xlim, [y0, y1] = scatter.ylim;
      const x = left + ((z[0] - x0) / (x1 - x0)) * (right - left);
      const y = bottom - ((z[1] - y0) / (y1 - y0)) * (bottom - top);
      marker.setAttribute("transform", "translate(" + x.toFixed(1) + " " + y.toFixed(1) + ")");
    }
  }
  const status = root.querySelector(".latent-explorer-status");
  if (typeof DecompressionStream === "undefined") {
    status.textContent = "This explorer needs a browser from 2023 or later (one with "
      + "DecompressionStream). Update your browser, or run the notebook in Jupyter.";
    return;
  }
  unpack().then((values) => {
    layers = split(values);
    sliders.forEach((slider) => slider.addEventListener("input", show));
    show();
    root.dataset.ready = "true";
  }).catch((error) => {
    status.textContent = "This explorer could not read its decoder's weights: " + error;
  });
}
