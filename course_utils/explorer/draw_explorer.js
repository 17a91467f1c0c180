// The draw-a-digit explorer (draw.py): the reader draws a digit; the page makes it a 28x28 image
// as MNIST's digits were made, encodes and decodes it with the autoencoder's weights, and
// compares the reconstruction error with the anomaly threshold. draw.py inlines shared.js and
// this file once per explorer and calls startDrawExplorer(root element); its docstring has the
// DOM contract.
/* global browserLacks, unpackLayers, runLayers, paintDigit, placeMarker */
/* exported startDrawExplorer */

// The matrix of draw.py's area_weights, row by row: new pixel i averages the old pixels
// first .. first + weights.length - 1 over [i*size/newSize, (i+1)*size/newSize), with weights.
function areaWeights(size, newSize) {
  const rows = [];
  for (let i = 0; i < newSize; i++) {
    const low = (i * size) / newSize, high = ((i + 1) * size) / newSize;
    const first = Math.floor(low), last = Math.min(size, Math.ceil(high));
    const weights = [];
    for (let p = first; p < last; p++) {
      weights.push(Math.max(0, Math.min(p + 1, high) - Math.max(p, low)) * newSize / size);
    }
    rows.push({first: first, weights: weights});
  }
  return rows;
}

// draw.py's _placement: the first row (or column) that puts the centre of mass nearest to the
// MNIST centre.
function placement(centreOfMass, mnist) {
  const centre = Math.floor(centreOfMass * 1e6 + 0.5) / 1e6;
  return Math.floor(mnist.centre - centre + 0.5);
}

// draw.py's preprocess_drawing, step for step, on the pad's RGBA pixels (the ink is alpha/255):
// the flat 28x28 image, or null when the pad is blank.
function preprocessInk(rgba, width, height, mnist) {
  let top = height, bottom = -1, left = width, right = -1;
  for (let r = 0; r < height; r++) {
    for (let c = 0, k = 4 * r * width + 3; c < width; c++, k += 4) {
      if (rgba[k] === 0) continue;
      if (r < top) top = r;
      bottom = r;
      if (c < left) left = c;
      if (c > right) right = c;
    }
  }
  if (bottom < 0) return null;
  const cropHeight = bottom - top + 1, cropWidth = right - left + 1;
  const longest = Math.max(cropHeight, cropWidth);
  const fittedHeight = Math.max(1, Math.floor(cropHeight * mnist.box / longest + 0.5));
  const fittedWidth = Math.max(1, Math.floor(cropWidth * mnist.box / longest + 0.5));
  const across = new Float64Array(cropHeight * fittedWidth);  // each crop row resampled
  for (const [j, {first, weights}] of areaWeights(cropWidth, fittedWidth).entries()) {
    for (let p = 0; p < cropHeight; p++) {
      const start = 4 * ((top + p) * width + left + first) + 3;
      let sum = 0;
      for (let q = 0; q < weights.length; q++) sum += weights[q] * (rgba[start + 4 * q] / 255);
      across[p * fittedWidth + j] = sum;
    }
  }
  const fitted = new Float64Array(fittedHeight * fittedWidth);
  for (const [i, {first, weights}] of areaWeights(cropHeight, fittedHeight).entries()) {
    for (let j = 0; j < fittedWidth; j++) {
      let sum = 0;
      for (let q = 0; q < weights.length; q++) {
        sum += weights[q] * across[(first + q) * fittedWidth + j];
      }
      fitted[i * fittedWidth + j] = sum;
    }
  }
  let mass = 0, rowMoment = 0, columnMoment = 0;
  for (let i = 0; i < fittedHeight; i++) {
    let rowSum = 0;
    for (let j = 0; j < fittedWidth; j++) rowSum += fitted[i * fittedWidth + j];
    mass += rowSum;
    rowMoment += rowSum * i;
  }
  for (let j = 0; j < fittedWidth; j++) {
    let columnSum = 0;
    for (let i = 0; i < fittedHeight; i++) columnSum += fitted[i * fittedWidth + j];
    columnMoment += columnSum * j;
  }
  const firstRow = placement(rowMoment / mass, mnist);
  const firstColumn = placement(columnMoment / mass, mnist);
  const image = new Float64Array(mnist.side * mnist.side);
  for (let i = 0; i < fittedHeight; i++) {
    const row = firstRow + i;
    for (let j = 0; j < fittedWidth; j++) {
      const column = firstColumn + j;  // ink placed outside the image is cut off, as in MNIST
      if (row >= 0 && row < mnist.side && column >= 0 && column < mnist.side) {
        image[row * mnist.side + column] = fitted[i * fittedWidth + j];
      }
    }
  }
  return image;
}

function startDrawExplorer(root) {
  "use strict";
  if (!root || root.dataset.started) return;
  root.dataset.started = "true";
  const model = JSON.parse(root.querySelector("script.draw-explorer-model").textContent);
  const status = root.querySelector(".draw-explorer-status");
  const lacking = browserLacks();
  if (lacking) {
    status.textContent = lacking;
    return;
  }

  const pad = root.querySelector("canvas.draw-explorer-pad");
  const ink = pad.getContext("2d", {willReadFrequently: true});
  const views = ["input", "reconstruction"].map((name) => {
    const context = root.querySelector("canvas.draw-explorer-" + name).getContext("2d");
    return {context: context, image: context.createImageData(model.mnist.side, model.mnist.side)};
  });
  const result = root.querySelector(".draw-explorer-result");
  const marker = root.querySelector(".latent-explorer-marker");
  const buttons = Array.from(root.querySelectorAll("button"));
  let encoder = [], decoder = [];

  function showResult(state, onMap) {  // the numbers and the verdict, in words, line by line
    if (state === null) {
      result.replaceChildren("The pad is blank: draw a digit, or start from a test digit.");
      result.dataset.verdict = "";
      return;
    }
    const lines = ["span", "span", "strong"].map((tag) => document.createElement(tag));
    const z = Array.from(state.z, (value) => value.toFixed(2).replace("-", "\u2212"));
    lines[0].textContent = "z = (" + z.join(", ") + ")" + (onMap ? "" : ", off the map") + ";";
    lines[1].textContent = "reconstruction error " + state.error.toFixed(model.decimals)
      + (state.flagged ? " > " : " \u2264 ") + "threshold "
      + model.threshold.toFixed(model.decimals) + ":";
    lines[2].textContent = model.verdicts[state.flagged ? 1 : 0];
    result.replaceChildren(...lines);
    result.dataset.verdict = state.flagged ? "unusual" : "usual";
  }

  function update() {
    const started = performance.now();
    const x = preprocessInk(
      ink.getImageData(0, 0, pad.width, pad.height).data, pad.width, pad.height, model.mnist);
    let state = null, onMap = true;
    if (x === null) {
      const blank = new Float64Array(model.mnist.side * model.mnist.side);
      views.forEach((view) => paintDigit(view.context, view.image, blank));
      if (marker) marker.style.visibility = "hidden";
    } else {
      const z = runLayers(encoder, x), reconstruction = runLayers(decoder, z);
      let error = 0;
      for (let k = 0; k < x.length; k++) error += (reconstruction[k] - x[k]) ** 2;
      error /= x.length;
      state = {
        x: x, z: z, reconstruction: reconstruction, error: error, flagged: error > model.threshold,
      };
      paintDigit(views[0].context, views[0].image, x);
      paintDigit(views[1].context, views[1].image, reconstruction);
      if (marker && model.scatter) {
        marker.style.visibility = "visible";
        onMap = placeMarker(marker, model.scatter, z);
      }
    }
    root.drawExplorer = state;
    showResult(state, onMap);
    performance.measure("draw-explorer-update", {start: started});
    performance.clearMeasures("draw-explorer-update");  // observers have it; keep no history
  }
  let pending = false;
  function schedule() {  // one update per frame, however many pointer events arrive
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      update();
    });
  }

  function padPoint(event) {  // the pointer's position in the pad's pixels
    const box = pad.getBoundingClientRect();
    return [
      (event.clientX - box.left - pad.clientLeft) * pad.width / pad.clientWidth,
      (event.clientY - box.top - pad.clientTop) * pad.height / pad.clientHeight,
    ];
  }
  let last = null;
  pad.addEventListener("pointerdown", (event) => {
    if (!root.dataset.ready || !event.isPrimary || event.button !== 0) return;
    event.preventDefault();
    pad.setPointerCapture(event.pointerId);
    last = padPoint(event);
    ink.beginPath();
    ink.arc(last[0], last[1], model.pen / 2, 0, 2 * Math.PI);
    ink.fill();
    schedule();
  });
  pad.addEventListener("pointermove", (event) => {
    if (last === null || !event.isPrimary) return;
    const coalesced = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
    ink.beginPath();
    ink.moveTo(last[0], last[1]);
    for (const each of coalesced.length ? coalesced : [event]) {
      last = padPoint(each);
      ink.lineTo(last[0], last[1]);
    }
    ink.stroke();
    schedule();
  });
  for (const name of ["pointerup", "pointercancel", "lostpointercapture"]) {
    pad.addEventListener(name, () => { last = null; });
  }

  function paintExample(index) {  // each pixel of the test digit as a square of ink
    const pixels = Uint8Array.from(atob(model.examples[index]), (c) => c.charCodeAt(0));
    const scale = pad.width / model.mnist.side, image = ink.createImageData(pad.width, pad.height);
    for (let r = 0; r < pad.height; r++) {
      for (let c = 0; c < pad.width; c++) {
        image.data[4 * (r * pad.width + c) + 3] =
          pixels[Math.floor(r / scale) * model.mnist.side + Math.floor(c / scale)];
      }
    }
    ink.putImageData(image, 0, 0);
  }
  root.querySelector(".draw-explorer-clear").addEventListener("click", () => {
    ink.clearRect(0, 0, pad.width, pad.height);
    update();
  });
  root.querySelectorAll(".draw-explorer-example").forEach((button) => {
    button.addEventListener("click", () => {
      paintExample(Number(button.dataset.example));
      update();
    });
  });

  const unpackAll = (segments) => Promise.all(segments.map(unpackLayers))
    .then((parts) => [].concat(...parts));
  Promise.all([unpackAll(model.encoder), unpackAll(model.decoder)]).then(([first, second]) => {
    encoder = first;
    decoder = second;
    ink.lineCap = ink.lineJoin = "round";
    ink.lineWidth = model.pen;
    if (model.examples.length) paintExample(0);
    buttons.forEach((button) => { button.disabled = false; });
    root.dataset.ready = "true";
    update();
  }).catch((error) => {
    status.textContent = "This explorer could not read its network's weights: " + error;
  });
}
