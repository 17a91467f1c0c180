// The print edition's page, made ready for Chromium's printing by scripts/print_pdf.py.
//
// printEdition.prepare() sets the light theme and opens the exercise solutions;
// printEdition.pending() lists what has not finished drawing yet (math, explorers, widgets,
// images, fonts), empty when the page can be printed;
// printEdition.numberContents(pages) writes each contents line's page number.
window.printEdition = {
  prepare() {
    const root = document.documentElement;
    root.dataset.mode = "light";
    root.dataset.theme = "light";
    for (const details of document.querySelectorAll("details")) details.open = true;
  },

  pending() {
    const waiting = [];
    const count = (what, selector) => {
      const found = document.querySelectorAll(selector).length;
      if (found) waiting.push(`${found} ${what}`);
    };
    if (!window.MathJax || !MathJax.startup || !MathJax.startup.document) {
      waiting.push("MathJax");
    }
    count("formulas not typeset", ".math:not(:has(mjx-container))");
    count("latent explorers not drawn", ".latent-explorer:not([data-ready='true'])");
    count(
      "saved widgets not rendered",
      ".cell_output:has(> script[type='application/vnd.jupyter.widget-view+json'])" +
        ":not(:has(> .widget-subarea))",
    );
    const images = [...document.images].filter((image) => !image.complete).length;
    if (images) waiting.push(`${images} images`);
    if (document.fonts.status !== "loaded") waiting.push("fonts");
    return waiting;
  },

  numberContents(pages) {
    for (const link of document.querySelectorAll(".print-edition-contents a")) {
      const anchor = decodeURIComponent(link.hash.slice(1));
      link.querySelector(".print-toc-page").textContent = pages[anchor] ?? "";
    }
  },
};
