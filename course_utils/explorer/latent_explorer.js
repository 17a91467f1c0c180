// The static latent explorer (static.py): decodes z in the browser and draws g(z) and the marker.
// static.py inlines this file once per explorer and calls startLatentExplorer(root element).
// Dependency-free ES2017; the root's DOM contract is in static.py's docstring.
/* exported startLatentExplorer */
function startLatentExplorer(root) {
  "use strict";
  if (!root || root.dataset.ready) return;
  const model = JSON.parse(root.querySelector("script.latent-explorer-model").textContent);

  function bytes(text) {
    const binary = atob(text), out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out.buffer;
  }
  function fromHalf(h) {  // IEEE 754 half precision to a number
    const sign = h & 0x8000 ? -1 : 1, exponent = (h >> 10) & 0x1f, fraction = h & 0x3ff;
    if (exponent === 0) return sign * fraction * Math.pow(2, -24);
    if (exponent === 31) return fraction ? NaN : sign * Infinity;
    return sign * (1 + fraction / 1024) * Math.pow(2, exponent - 15);
  }
  function floats(text) {
    if (model.dtype === "float32") return new Float32Array(bytes(text));
    const halves = new Uint16Array(bytes(text)), out = new Float32Array(halves.length);
    for (let i = 0; i < halves.length; i++) out[i] = fromHalf(halves[i]);
    return out;
  }
  const activations = {
    relu: (x) => (x > 0 ? x : 0), sigmoid: (x) => 1 / (1 + Math.exp(-x)),
    tanh: Math.tanh, linear: (x) => x,
  };
  const layers = model.layers.map((layer) => ({
    inputs: layer.inputs, units: layer.units, activation: activations[layer.activation],
    kernel: floats(layer.kernel), bias: floats(layer.bias),
  }));

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
  sliders.forEach((slider) => slider.addEventListener("input", show));
  show();
  root.dataset.ready = "true";
}
