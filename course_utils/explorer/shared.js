// What the static explorers' scripts share (static.py, draw.py): the check for an old browser, a
// network of Dense layers whose weights static.py's pack_weights packed, unpacked and run in the
// browser, and the drawing of a digit and of the marker on the latent scatter. Each explorer's
// HTML inlines this file before its own script, inside one function, so that nothing here
// becomes a global of the page. Dependency-free ES2017 plus DecompressionStream.
/* exported browserLacks, unpackLayers, runLayers, paintDigit, placeMarker */

// The explanation an old browser shows instead of the explorer, or "" when it has what is needed.
function browserLacks() {
  if (typeof DecompressionStream === "undefined" || typeof PointerEvent === "undefined") {
    return "This explorer needs a browser from 2023 or later (one with DecompressionStream). "
      + "Update your browser, or run the notebook in Jupyter.";
  }
  return "";
}

function base64Bytes(text) {
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

const ACTIVATIONS = {
  relu: (x) => (x > 0 ? x : 0), sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  tanh: Math.tanh, linear: (x) => x,
};

// static.py's pack_weights backwards: inflate, unshuffle, convert, then cut the values into each
// layer's kernel (row-major, inputs x units) and bias. `packed` is {dtype, weights, layers}.
async function unpackLayers(packed) {
  const stream = new Blob([base64Bytes(packed.weights)]).stream()
    .pipeThrough(new DecompressionStream("deflate"));
  const shuffled = new Uint8Array(await new Response(stream).arrayBuffer());
  const size = packed.dtype === "float32" ? 4 : 2, count = shuffled.length / size;
  const raw = new Uint8Array(shuffled.length);
  for (let b = 0; b < size; b++) {
    for (let i = 0; i < count; i++) raw[i * size + b] = shuffled[b * count + i];
  }
  let values;
  if (size === 4) {
    values = new Float32Array(raw.buffer);
  } else {
    const halves = new Uint16Array(raw.buffer);
    values = new Float32Array(count);
    for (let i = 0; i < count; i++) values[i] = fromHalf(halves[i]);
  }
  let offset = 0;
  return packed.layers.map((layer) => {
    const size = layer.inputs * layer.units;
    const kernel = values.subarray(offset, offset + size);
    const bias = values.subarray(offset + size, offset + size + layer.units);
    offset += size + layer.units;
    return {
      inputs: layer.inputs, units: layer.units, activation: ACTIVATIONS[layer.activation],
      kernel: kernel, bias: bias,
    };
  });
}

// The network's forward pass on one input (an array of numbers), in double precision.
function runLayers(layers, input) {
  let values = Float64Array.from(input);
  for (const layer of layers) {
    const out = Float64Array.from(layer.bias);
    for (let i = 0; i < layer.inputs; i++) {
      const x = values[i];
      if (x === 0) continue;  // most pixels of a digit, and relu's zeros
      const row = i * layer.units;
      for (let j = 0; j < layer.units; j++) out[j] += x * layer.kernel[row + j];
    }
    for (let j = 0; j < layer.units; j++) out[j] = layer.activation(out[j]);
    values = out;
  }
  return values;
}

// Pixel values p (clipped to [0, 1]) onto a canvas of the image's size, as grey 255 * (1 - p).
function paintDigit(context, image, pixels) {
  for (let k = 0; k < pixels.length; k++) {
    const grey = Math.round(255 * (1 - Math.min(1, Math.max(0, pixels[k]))));
    image.data[4 * k] = image.data[4 * k + 1] = image.data[4 * k + 2] = grey;
    image.data[4 * k + 3] = 255;
  }
  context.putImageData(image, 0, 0);
}

// Moves the marker (an SVG element over the scatter image) to the point z = (z1, z2). `scatter`
// is the geometry static.py's scatter_markup measured: the axes' limits and box, in the image's
// pixels. A z off the axes is shown on the box's edge. Returns whether z lies within the axes.
function placeMarker(marker, scatter, z) {
  const [left, top, right, bottom] = scatter.box;
  const [x0, x1] = scatter.xlim, [y0, y1] = scatter.ylim;
  const x = left + ((z[0] - x0) / (x1 - x0)) * (right - left);
  const y = bottom - ((z[1] - y0) / (y1 - y0)) * (bottom - top);
  const shownX = Math.min(right, Math.max(left, x)), shownY = Math.min(bottom, Math.max(top, y));
  marker.setAttribute(
    "transform", "translate(" + shownX.toFixed(1) + " " + shownY.toFixed(1) + ")");
  return shownX === x && shownY === y;
}
