// The static latent explorer (static.py): decodes z in the browser and draws g(z) and the marker.
// static.py inlines shared.js and this file once per explorer and calls
// startLatentExplorer(root element). The DOM contract is in static.py's docstring.
/* global browserLacks, unpackLayers, runLayers, paintDigit, placeMarker */
/* exported startLatentExplorer */
function startLatentExplorer(root) {
  "use strict";
  if (!root || root.dataset.started) return;
  root.dataset.started = "true";
  const model = JSON.parse(root.querySelector("script.latent-explorer-model").textContent);

  let layers = [];
  const canvas = root.querySelector("canvas.latent-explorer-digit");
  const context = canvas.getContext("2d");
  const image = context.createImageData(canvas.width, canvas.height);
  const sliders = Array.from(root.querySelectorAll("input.latent-explorer-slider"));
  const text = root.querySelector(".latent-explorer-z");
  const marker = root.querySelector(".latent-explorer-marker");
  const scatter = model.scatter;

  function show() {
    const z = sliders.map((slider) => slider.valueAsNumber);
    paintDigit(context, image, runLayers(layers, z));
    sliders.forEach((slider, k) => { slider.nextElementSibling.value = z[k].toFixed(2); });
    text.textContent = "z = (" + z.map((v) => v.toFixed(2)).join(", ") + ")";
    if (marker && scatter) placeMarker(marker, scatter, z);
  }
  const status = root.querySelector(".latent-explorer-status");
  const lacking = browserLacks();
  if (lacking) {
    status.textContent = lacking;
    return;
  }
  unpackLayers(model).then((unpacked) => {
    layers = unpacked;
    sliders.forEach((slider) => slider.addEventListener("input", show));
    show();
    root.dataset.ready = "true";
  }).catch((error) => {
    status.textContent = "This explorer could not read its decoder's weights: " + error;
  });
}
